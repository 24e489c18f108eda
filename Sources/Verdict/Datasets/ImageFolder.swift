import Foundation

/// A folder of images, PNG (``PNGImage``) or PGM (`P2` text or `P5` binary,
/// netpbm.sourceforge.net/doc/pgm.html), searched recursively in name order. An image in a
/// folder named after a class number (`digits/7/a.png`) has that label. Pixel values are the
/// file's (0 to 255, or to its maxval).
enum ImageFolder {
    static func read(_ folder: String) throws -> [Sample] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { throw Dataset.Problem("\(folder): cannot be listed") }
        let files = walker.compactMap { $0 as? String }.filter { ["pgm", "png"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !files.isEmpty else { throw Dataset.Problem("\(folder): no .png or .pgm images (the formats read; convert others first)") }
        var samples: [Sample] = []
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file)
            let data = try Dataset.bytes(path)
            let pixels = path.lowercased().hasSuffix(".png") ? try PNGImage.pixels(data, file: path) : try image(data, file: path)
            if let first = samples.first, first.input.count != pixels.count {
                throw Dataset.Problem("\(path): \(pixels.count) pixels; \(first.name) has \(first.input.count)")
            }
            let parent = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
            samples.append(Sample(name: file, input: pixels, label: Int(parent).flatMap { $0 >= 0 ? $0 : nil }))
        }
        return samples
    }

    /// The pixels of one PGM image.
    static func image(_ data: Data, file: String) throws -> [Double] {
        let bytes = [UInt8](data)
        var position = 0
        func token() throws -> String {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
                } else if isSpace(bytes[position]) {
                    position += 1
                } else {
                    break
                }
            }
            let start = position
            while position < bytes.count && !isSpace(bytes[position]) { position += 1 }
            guard position > start else { throw Dataset.Problem("\(file): the image is cut short at byte \(start)") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
        let magic = try token()
        guard magic == "P2" || magic == "P5" else { throw Dataset.Problem("\(file): not a PGM image (magic '\(magic.prefix(8))'; P2 and P5 are read)") }
        var header: [Int] = []
        for name in ["width", "height", "maxval"] {
            let text = try token()
            guard let value = Int(text), value > 0 else { throw Dataset.Problem("\(file): the \(name) '\(text)' is not a positive integer") }
            header.append(value)
        }
        let (width, height, maxval) = (header[0], header[1], header[2])
        guard maxval < 65536, width <= 1 << 15, height <= 1 << 15 else { throw Dataset.Problem("\(file): \(width)x\(height), maxval \(maxval) is beyond PGM's limits") }
        let count = width * height
        if magic == "P2" {
            return try (0..<count).map { index in
                let text = try token()
                guard let value = Int(text), value >= 0, value <= maxval else { throw Dataset.Problem("\(file): pixel \(index) '\(text)' is not in 0...\(maxval)") }
                return Double(value)
            }
        }
        position += 1  // the single whitespace after maxval
        let width8 = maxval < 256 ? 1 : 2
        guard bytes.count - position >= count * width8 else {
            throw Dataset.Problem("\(file): \(width)x\(height) pixels need \(count * width8) bytes, \(max(0, bytes.count - position)) follow the header")
        }
        return try (0..<count).map { index in
            let offset = position + index * width8
            let value = width8 == 1 ? Int(bytes[offset]) : Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard value <= maxval else { throw Dataset.Problem("\(file): pixel \(index) is \(value), above the maxval \(maxval)") }
            return Double(value)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
