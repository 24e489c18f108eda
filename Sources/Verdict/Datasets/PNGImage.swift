import CZlib
import Foundation

/// The pixels of a PNG image (www.w3.org/TR/png): 8- or 16-bit greyscale, RGB, greyscale
/// with alpha or RGBA, not interlaced. Values are the file's (0 to 255, or 65535); colour
/// images give their channels one after another (red plane, green plane, blue plane: the
/// channel-major layout networks take); alpha is dropped. Palette and interlaced images are
/// refused with the reason. Chunk checksums are checked.
enum PNGImage {
    static func pixels(_ data: Data, file: String) throws -> [Double] {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw Dataset.Problem("\(file): not a PNG image (no PNG signature)")
        }
        let (header, compressed) = try chunks(bytes, file: file)
        let rowBytes = (header.width * header.bitsPerPixel + 7) / 8
        let raw = try inflate(compressed, size: header.height * (rowBytes + 1), file: file)
        let rows = try unfilter(raw, rowBytes: rowBytes, height: header.height, bytesPerPixel: max(1, header.bitsPerPixel / 8), file: file)
        return planes(rows, header)
    }

    struct Header {
        var width: Int, height: Int, depth: Int, channels: Int, hasAlpha: Bool
        var bitsPerPixel: Int { depth * channels }
    }

    /// IHDR and the concatenated IDAT data, checksums checked.
    private static func chunks(_ bytes: [UInt8], file: String) throws -> (Header, [UInt8]) {
        var position = 8, header: Header?, compressed: [UInt8] = []
        func integer(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        while position + 12 <= bytes.count {
            let length = integer(position), type = String(decoding: bytes[position + 4..<position + 8], as: UTF8.self)
            guard length <= bytes.count - position - 12 else { throw Dataset.Problem("\(file): chunk \(type) at byte \(position) runs past the end") }
            let body = Array(bytes[position + 8..<position + 8 + length])
            let stored = UInt(integer(position + 8 + length))
            let computed = bytes[position + 4..<position + 8 + length].withContiguousStorageIfAvailable { crc32(0, $0.baseAddress, UInt32($0.count)) } ?? 0
            guard stored == computed else { throw Dataset.Problem("\(file): chunk \(type) at byte \(position) fails its checksum") }
            switch type {
            case "IHDR": header = try readHeader(body, file: file)
            case "IDAT": compressed += body
            case "IEND":
                guard let header else { throw Dataset.Problem("\(file): no IHDR chunk") }
                return (header, compressed)
            default: break
            }
            position += 12 + length
        }
        throw Dataset.Problem("\(file): the image is cut short (no IEND chunk)")
    }

    private static func readHeader(_ body: [UInt8], file: String) throws -> Header {
        guard body.count == 13 else { throw Dataset.Problem("\(file): IHDR has \(body.count) bytes, not 13") }
        let width = (0..<4).reduce(0) { $0 << 8 | Int(body[$1]) }, height = (4..<8).reduce(0) { $0 << 8 | Int(body[$1]) }
        let (depth, colour, interlace) = (Int(body[8]), body[9], body[12])
        guard colour != 3 else { throw Dataset.Problem("\(file): a palette image; convert it to greyscale or RGB") }
        let layouts: [UInt8: (Int, Bool)] = [0: (1, false), 2: (3, false), 4: (2, true), 6: (4, true)]
        guard let (channels, alpha) = layouts[colour] else {
            throw Dataset.Problem("\(file): colour type \(colour) is not read (greyscale, RGB, with or without alpha are)")
        }
        guard depth == 8 || depth == 16 else { throw Dataset.Problem("\(file): bit depth \(depth) is not read (8 and 16 are)") }
        guard interlace == 0 else { throw Dataset.Problem("\(file): an interlaced image; save it without interlacing") }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else { throw Dataset.Problem("\(file): \(width)x\(height) pixels") }
        return Header(width: width, height: height, depth: depth, channels: channels, hasAlpha: alpha)
    }

    private static func inflate(_ compressed: [UInt8], size: Int, file: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size + 1)
        var length = uLongf(output.count)
        let status = compressed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { uncompress($0.baseAddress, &length, input.baseAddress, uLong(input.count)) }
        }
        guard status == Z_OK, Int(length) == size else {
            throw Dataset.Problem("\(file): the image data does not inflate to \(size) bytes (zlib status \(status), \(length) bytes)")
        }
        return Array(output.prefix(size))
    }

    /// The rows with PNG's per-row filters (none, sub, up, average, Paeth) undone.
    private static func unfilter(_ raw: [UInt8], rowBytes: Int, height: Int, bytesPerPixel: Int, file: String) throws -> [[UInt8]] {
        var rows: [[UInt8]] = [], previous = [UInt8](repeating: 0, count: rowBytes)
        for y in 0..<height {
            let start = y * (rowBytes + 1), filter = raw[start]
            var row = Array(raw[start + 1..<start + 1 + rowBytes])
            for i in 0..<rowBytes {
                let left = i >= bytesPerPixel ? Int(row[i - bytesPerPixel]) : 0, up = Int(previous[i])
                let upLeft = i >= bytesPerPixel ? Int(previous[i - bytesPerPixel]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let p = left + up - upLeft, (a, b, c) = (abs(p - left), abs(p - up), abs(p - upLeft))
                    predictor = a <= b && a <= c ? left : b <= c ? up : upLeft
                default: throw Dataset.Problem("\(file): row \(y) has filter type \(filter)")
                }
                row[i] = UInt8(truncatingIfNeeded: Int(row[i]) + predictor)
            }
            rows.append(row)
            previous = row
        }
        return rows
    }

    /// Channel-major values, alpha left out.
    private static func planes(_ rows: [[UInt8]], _ header: Header) -> [Double] {
        let colours = header.hasAlpha ? header.channels - 1 : header.channels, sampleBytes = header.depth / 8
        var values: [Double] = []
        values.reserveCapacity(colours * header.width * header.height)
        for channel in 0..<colours {
            for row in rows {
                for x in 0..<header.width {
                    let offset = (x * header.channels + channel) * sampleBytes
                    values.append(Double(sampleBytes == 1 ? Int(row[offset]) : Int(row[offset]) << 8 | Int(row[offset + 1])))
                }
            }
        }
        return values
    }
}
