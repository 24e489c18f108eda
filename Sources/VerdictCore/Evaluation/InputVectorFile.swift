import Foundation

/// Concrete input vectors as users write them: a JSON array of numbers (nested arrays are
/// flattened in row-major order) or plain text with one number a line (blank lines and
/// lines starting with `#` are skipped).
public enum InputVectorFile {
    /// Why a file cannot be read: the file (and line) and the reason.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func read(path: String) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "\(path): the file \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [Double] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") {
            let json: Any
            do {
                json = try JSONSerialization.jsonObject(with: Data(trimmed.utf8))
            } catch {
                throw Problem(description: "\(file): not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
            }
            return try numbers(json, place: file)
        }
        var values: [Double] = []
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            guard let value = Double(content), value.isFinite else {
                throw Problem(description: "\(file):\(offset + 1): '\(content)' is not a finite number")
            }
            values.append(value)
        }
        return values
    }

    /// The numbers of a parsed JSON value (a number, or arrays of them nested, flattened in
    /// row-major order); `place` leads the error message.
    public static func numbers(_ json: Any, place: String) throws -> [Double] {
        var values: [Double] = []
        try flatten(json, into: &values, file: place)
        return values
    }

    private static func flatten(_ json: Any, into values: inout [Double], file: String) throws {
        if let array = json as? [Any] {
            for item in array { try flatten(item, into: &values, file: file) }
        } else if let number = json as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite {
            values.append(number.doubleValue)
        } else {
            throw Problem(description: "\(file): element \(values.count) of the JSON array is not a finite number: \(json)")
        }
    }
}
