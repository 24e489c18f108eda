/// The exact value of a `Double` as a Z3 numeral string, `"n"` or `"n/d"` with `d` a power of
/// two. Swift's `description` gives the shortest decimal that rounds back, which is not the
/// double's value; the encoding must state the weights exactly, or Z3 would reason about a
/// slightly different network.
enum ExactRational {
    static func numeral(_ value: Double) -> String {
        precondition(value.isFinite, "only finite values have a rational form")
        if value == 0 { return "0" }
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        // magnitude = significand · 2^exponent with an integral significand.
        var significand = magnitude.significandBitPattern | (magnitude.isNormal ? (1 << 52) : 0)
        var exponent = Int(magnitude.exponent) - 52
        if !magnitude.isNormal { exponent = -1074 }
        while significand & 1 == 0 && exponent < 0 {
            significand >>= 1
            exponent += 1
        }
        if exponent >= 0 {
            return sign + decimal(significand, timesPowerOfTwo: exponent)
        }
        return sign + String(significand) + "/" + decimal(1, timesPowerOfTwo: -exponent)
    }

    /// `value · 2^power` in decimal, by repeated doubling of a little-endian digit array.
    static func decimal(_ value: UInt64, timesPowerOfTwo power: Int) -> String {
        var digits = String(value).reversed().map { UInt8(String($0))! }
        for _ in 0..<power {
            var carry: UInt8 = 0
            for index in digits.indices {
                let doubled = digits[index] * 2 + carry
                digits[index] = doubled % 10
                carry = doubled / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        return String(digits.reversed().map { Character(String($0)) })
    }
}
