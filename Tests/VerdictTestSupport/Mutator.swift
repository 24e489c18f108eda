import VerdictCore

/// Malformed variants of valid files, for mutation tests of every reader: each variant is a
/// seed with a few random edits (bits flipped, bytes overwritten with boundary values, runs
/// inserted, deleted or repeated, the tail cut), reproducible from the generator's seed.
public struct Mutator {
    public var generator: SeededGenerator
    /// Byte runs worth splicing in: boundary integers and floats, and tokens of the formats.
    public var dictionary: [[UInt8]]

    public init(seed: UInt64, dictionary: [String] = []) {
        generator = SeededGenerator(seed: seed)
        let boundaries: [[UInt8]] = [
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0, 0, 0, 0xF0, 0x7F], [0, 0, 0xC0, 0x7F], [0x80],
            [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0], [0x7F, 0x7F, 0x7F, 0x7F],
        ]
        self.dictionary = boundaries + dictionary.map { Array($0.utf8) }
    }

    /// One variant of `seed` with one to four edits.
    public mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !bytes.isEmpty else {
                bytes = dictionary.randomElement(using: &generator)!
                continue
            }
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &generator)
            case 2:
                let run = dictionary.randomElement(using: &generator)!
                bytes.insert(contentsOf: run, at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &generator)))
            case 4:
                let end = min(bytes.count, at + Int.random(in: 1...32, using: &generator))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &generator))
            default: bytes.removeSubrange(at...)
            }
        }
        return bytes
    }
}
