import VerdictCore

/// A numeric literal of VNN-LIB (`3`, `-0.5`, `.5`, `1e-3`, `4.2E+7`) read into the nearest
/// `Double` together with whether that `Double` is exactly the written number.
///
/// Exactness is decided without big-number arithmetic: the literal is `M·10^E` with an
/// integer `M`; it has an exact binary value when, after the powers of two are taken out,
/// what is left of `M·5^E` (or `M / 5^-E`) is an integer of at most 53 bits. When `M` has
/// more than 19 digits the answer is "not exact", which is always safe.
struct DecimalLiteral {
    let value: Double
    let isExact: Bool

    var interval: RealInterval { RealInterval(nearest: value, isExact: isExact) }

    /// Nil when the text is not a decimal literal.
    init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return nil }
        // The sign does not change exactness.
        var position = 0
        if utf8[0] == UInt8(ascii: "-") || utf8[0] == UInt8(ascii: "+") { position = 1 }
        var mantissa: UInt64 = 0
        var mantissaOverflow = false
        var digitCount = 0
        var exponent = 0
        var sawPoint = false
        while position < utf8.count {
            let byte = utf8[position]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digitCount += 1
                let digit = UInt64(byte - UInt8(ascii: "0"))
                if !mantissaOverflow {
                    let (times10, overflow1) = mantissa.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(digit)
                    if overflow1 || overflow2 {
                        mantissaOverflow = true
                    } else {
                        mantissa = sum
                    }
                }
                if mantissaOverflow && !sawPoint { exponent += 1 }
                if !mantissaOverflow && sawPoint { exponent -= 1 }
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            position += 1
        }
        guard digitCount > 0 else { return nil }
        if position < utf8.count {
            guard utf8[position] == UInt8(ascii: "e") || utf8[position] == UInt8(ascii: "E") else { return nil }
            position += 1
            var exponentNegative = false
            if position < utf8.count && (utf8[position] == UInt8(ascii: "-") || utf8[position] == UInt8(ascii: "+")) {
                exponentNegative = utf8[position] == UInt8(ascii: "-")
                position += 1
            }
            var written = 0
            var exponentDigits = 0
            while position < utf8.count, utf8[position] >= UInt8(ascii: "0"), utf8[position] <= UInt8(ascii: "9") {
                written = min(written * 10 + Int(utf8[position] - UInt8(ascii: "0")), 100_000)
                exponentDigits += 1
                position += 1
            }
            guard exponentDigits > 0, position == utf8.count else { return nil }
            exponent += exponentNegative ? -written : written
        }
        // strtod through Double(String) rounds correctly to nearest.
        guard let value = Double(text), value.isFinite else { return nil }
        self.value = value
        self.isExact = !mantissaOverflow && DecimalLiteral.isExactlyRepresentable(mantissa: mantissa, exponent: exponent)
    }

    private static func isExactlyRepresentable(mantissa: UInt64, exponent: Int) -> Bool {
        var mantissa = mantissa
        var exponent = exponent
        if mantissa == 0 { return true }
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        if exponent >= 0 {
            // M·10^E = (M·5^E)·2^E: exact when M·5^E fits 53 bits.
            var odd = mantissa
            for _ in 0..<exponent {
                let (product, overflow) = odd.multipliedReportingOverflow(by: 5)
                if overflow { return false }
                odd = product
            }
            return significantBits(odd) <= 53 && exponent < 300
        }
        // M / (2^k·5^k): exact when 5^k divides M and the quotient fits 53 bits.
        var remaining = mantissa
        for _ in 0..<(-exponent) {
            if remaining % 5 != 0 { return false }
            remaining /= 5
        }
        return significantBits(remaining) <= 53 && -exponent < 1000
    }

    private static func significantBits(_ value: UInt64) -> Int {
        value == 0 ? 0 : 64 - value.leadingZeroBitCount - value.trailingZeroBitCount
    }
}
