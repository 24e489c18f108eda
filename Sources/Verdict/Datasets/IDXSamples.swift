import Foundation

/// The IDX format MNIST and Fashion-MNIST ship in (yann.lecun.com/exdb/mnist): a magic
/// number `0 0 type dims`, the dimensions as big-endian 32-bit integers, then the values.
/// Images are one sample per first index (unsigned bytes or big-endian float32); labels a
/// one-dimensional unsigned-byte file of the same count.
enum IDXSamples {
    static func read(images: String, labels: String?) throws -> [Sample] {
        let (dimensions, values) = try tensor(Dataset.bytes(images), file: images)
        guard dimensions.count >= 2 else { throw Dataset.Problem("\(images): an image file needs at least 2 dimensions, it has \(dimensions.count)") }
        let count = dimensions[0], size = dimensions.dropFirst().reduce(1, *)
        var classes: [Int?] = Array(repeating: nil, count: count)
        if let labels {
            let (labelDimensions, labelValues) = try tensor(Dataset.bytes(labels), file: labels)
            guard labelDimensions.count == 1, labelDimensions[0] == count else {
                throw Dataset.Problem("\(labels): \(labelDimensions) labels for \(count) images in \(images)")
            }
            classes = try labelValues.enumerated().map { index, value in
                guard let label = Int(exactly: value), label >= 0 else { throw Dataset.Problem("\(labels): label \(index) is \(value), not a class number") }
                return label
            }
        }
        return (0..<count).map { index in
            Sample(name: "image \(index)", input: Array(values[index * size..<(index + 1) * size]), label: classes[index])
        }
    }

    /// The dimensions and the values of an IDX file.
    private static func tensor(_ data: Data, file: String) throws -> ([Int], [Double]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw Dataset.Problem("\(file): not an IDX file (its first two bytes are not 0)") }
        let type = bytes[2], rank = Int(bytes[3])
        let width: Int
        switch type {
        case 0x08: width = 1
        case 0x0D: width = 4
        default: throw Dataset.Problem("\(file): IDX element type 0x\(String(type, radix: 16)) is not supported (unsigned bytes 0x08 and float32 0x0D are)")
        }
        guard rank >= 1, bytes.count >= 4 + 4 * rank else { throw Dataset.Problem("\(file): the header is cut short") }
        let dimensions = (0..<rank).map { axis in (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * axis + $1]) } }
        guard !dimensions.contains(0) else { throw Dataset.Problem("\(file): a dimension of 0 in \(dimensions): no samples") }
        let count = dimensions.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        let start = 4 + 4 * rank
        guard count < Int.max / width, bytes.count - start == count * width else {
            throw Dataset.Problem("\(file): dimensions \(dimensions) need \(count) values of \(width) byte(s), the file has \(bytes.count - start) bytes after the header")
        }
        if width == 1 { return (dimensions, bytes[start...].map { Double($0) }) }
        let values = (0..<count).map { index -> Double in
            let offset = start + 4 * index
            let bits = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
            return Double(Float(bitPattern: bits))
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw Dataset.Problem("\(file): value \(bad) is \(values[bad])") }
        return (dimensions, values)
    }
}
