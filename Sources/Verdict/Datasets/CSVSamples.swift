/// A CSV test set: one sample a row, the label first (an integer, or empty for none), then
/// the input values. A first row whose first field is not a number is a header and skipped; blank lines
/// are skipped.
enum CSVSamples {
    static func parse(_ text: String, file: String) throws -> [Sample] {
        var samples: [Sample] = []
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty { continue }
            let fields = content.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if samples.isEmpty && offset == 0 && !fields[0].isEmpty && Double(fields[0]) == nil { continue }
            samples.append(try sample(fields, place: "\(file):\(offset + 1)"))
            if let first = samples.first, first.input.count != samples[samples.count - 1].input.count {
                throw Dataset.Problem("\(file):\(offset + 1): \(samples[samples.count - 1].input.count) input values; the first row has \(first.input.count)")
            }
        }
        guard !samples.isEmpty else { throw Dataset.Problem("\(file): no samples") }
        return samples
    }

    private static func sample(_ fields: [String], place: String) throws -> Sample {
        guard fields.count >= 2 else { throw Dataset.Problem("\(place): a row needs a label field and at least one input value") }
        var label: Int?
        if !fields[0].isEmpty {
            guard let value = Int(fields[0]), value >= 0 else { throw Dataset.Problem("\(place): the label '\(fields[0])' is not a class number") }
            label = value
        }
        var input: [Double] = []
        for (column, field) in fields.dropFirst().enumerated() {
            guard let value = Double(field), value.isFinite else { throw Dataset.Problem("\(place): field \(column + 2) '\(field)' is not a finite number") }
            input.append(value)
        }
        return Sample(name: "row \(place.split(separator: ":").last ?? "")", input: input, label: label)
    }
}
