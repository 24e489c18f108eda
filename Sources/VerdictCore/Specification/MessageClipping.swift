extension String {
    /// This text for an error message: its middle cut when it passes 300 bytes, so a message
    /// quoting a 100 MB token or attribute costs no more to print than a short one.
    public var clippedForMessage: String {
        guard utf8.count > 300 else { return self }
        return String(prefix(200)) + " … " + String(suffix(60))
    }
}
