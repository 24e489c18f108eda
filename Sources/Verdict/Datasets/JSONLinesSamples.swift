import Foundation

/// A JSON-lines test set: one object a line, `{"input": [...], "label": 3, "name": "..."}`.
/// `input` may be nested (flattened row-major); `label` and `name` are optional.
enum JSONLinesSamples {
    static func parse(_ text: String, file: String) throws -> [Sample] {
        var samples: [Sample] = []
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty { continue }
            let place = "\(file):\(offset + 1)"
            guard let object = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String: Any] else {
                throw Dataset.Problem("\(place): not a JSON object")
            }
            guard let input = object["input"] else { throw Dataset.Problem("\(place): no \"input\" array") }
            let values: [Double]
            do {
                values = try InputVectorFile.numbers(input, place: "\(place): \"input\"")
            } catch let problem as InputVectorFile.Problem {
                throw Dataset.Problem(problem.description)
            }
            var label: Int?
            if let raw = object["label"], !(raw is NSNull) {
                guard let number = raw as? NSNumber, String(cString: number.objCType) != "c",
                      let value = Int(exactly: number.doubleValue), value >= 0 else {
                    throw Dataset.Problem("\(place): \"label\" is not a class number: \(raw)")
                }
                label = value
            }
            let name = object["name"] as? String ?? "line \(offset + 1)"
            if let first = samples.first, first.input.count != values.count {
                throw Dataset.Problem("\(place): \(values.count) input values; the first sample has \(first.input.count)")
            }
            samples.append(Sample(name: name, input: values, label: label))
        }
        guard !samples.isEmpty else { throw Dataset.Problem("\(file): no samples") }
        return samples
    }
}
