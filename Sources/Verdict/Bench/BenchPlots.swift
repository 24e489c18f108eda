import Foundation

/// The pictures of benchmark runs, as standalone SVG: a cactus plot (instances solved
/// against time, log time axis, one line per run) and a scatter plot of two runs' times.
public enum BenchPlots {
    private static let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
    ]
    private static let (width, height, left, right, top, bottom) = (720.0, 440.0, 64.0, 24.0, 40.0, 56.0)

    /// One line per run: the k-th fastest solved instance at (its seconds, k).
    public static func cactus(_ runs: [(name: String, records: [BenchRecord])], title: String) -> String {
        let solvedTimes = runs.map { $0.records.filter(\.isSolved).map { max($0.seconds, 0.01) }.sorted() }
        let most = max(solvedTimes.map(\.count).max() ?? 1, 1)
        let (low, high) = logRange(solvedTimes.flatMap { $0 })
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ seconds: Double) -> Double { left + plotWidth * (log10(seconds) - low) / (high - low) }
        func y(_ count: Double) -> Double { top + plotHeight * (1 - count / Double(most)) }
        var svg = header(title)
        for power in Int(low)...Int(high) {
            let seconds = pow(10, Double(power))
            svg += line(x(seconds), top, x(seconds), top + plotHeight, "#ddd")
            svg += text(x(seconds), top + plotHeight + 18, "\(seconds < 1 ? String(seconds) : String(Int(seconds))) s", anchor: "middle")
        }
        for tick in 0...4 {
            let count = Double(most) * Double(tick) / 4
            svg += line(left, y(count), left + plotWidth, y(count), "#ddd")
            svg += text(left - 6, y(count) + 4, "\(Int(count.rounded()))", anchor: "end")
        }
        svg += frame(plotWidth, plotHeight)
        for (index, times) in solvedTimes.enumerated() {
            var points = [(x(pow(10, low)), y(0))]
            for (k, seconds) in times.enumerated() { points += [(x(seconds), y(Double(k))), (x(seconds), y(Double(k + 1)))] }
            if !times.isEmpty { points.append((x(pow(10, high)), y(Double(times.count)))) }
            svg += polyline(points, colors[index % colors.count])
        }
        // Bottom right, where cactus lines (rising from the left) leave room.
        svg += legend(runs.enumerated().map { "\($1.name): \(solvedTimes[$0].count) solved" }, x: left + plotWidth - 300, bottom: top + plotHeight - 8)
        svg += text(left + plotWidth / 2, height - 14, "time per instance (s, log scale)", anchor: "middle")
        svg += "<text transform=\"translate(16 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">instances solved</text>\n"
        return svg + "</svg>\n"
    }

    /// One point per instance both runs attempted: the first run's seconds across, the
    /// second's up (log scales); unsolved instances sit at the right or top edge.
    public static func scatter(_ first: (name: String, records: [BenchRecord]), _ second: (name: String, records: [BenchRecord]), title: String) -> String {
        let others = Dictionary(second.records.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        let pairs = first.records.compactMap { record in others[record.key].map { (record, $0) } }
        let (low, high) = logRange(pairs.flatMap { [$0.0.seconds, $0.1.seconds] }.map { max($0, 0.01) })
        let side = min(width - left - right, height - top - bottom)
        func position(_ record: BenchRecord) -> Double {
            record.isSolved ? (log10(max(record.seconds, 0.01)) - low) / (high - low) : 1
        }
        var svg = header(title, width: left + side + right)
        for power in Int(low)...Int(high) {
            let share = (Double(power) - low) / (high - low), seconds = pow(10, Double(power))
            let label = "\(seconds < 1 ? String(seconds) : String(Int(seconds)))"
            svg += line(left + side * share, top, left + side * share, top + side, "#ddd")
            svg += line(left, top + side * (1 - share), left + side, top + side * (1 - share), "#ddd")
            svg += text(left + side * share, top + side + 18, label, anchor: "middle")
            svg += text(left - 6, top + side * (1 - share) + 4, label, anchor: "end")
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(side)\" height=\"\(side)\" fill=\"none\" stroke=\"black\"/>\n"
        svg += line(left, top + side, left + side, top, "#999")
        for (a, b) in pairs {
            let color = a.isSolved && b.isSolved ? colors[0] : colors[1]
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" ", left + side * position(a), top + side * (1 - position(b))) + "fill=\"\(color)\" fill-opacity=\"0.7\"/>\n"
        }
        svg += text(left + side / 2, top + side + 40, "\(escaped(first.name)) (s; unsolved at the right edge)", anchor: "middle")
        svg += "<text transform=\"translate(16 \(top + side / 2)) rotate(-90)\" text-anchor=\"middle\">\(escaped(second.name)) (s; unsolved at the top)</text>\n"
        return svg + "</svg>\n"
    }

    /// Decades covering `seconds` (at least one).
    private static func logRange(_ seconds: [Double]) -> (Double, Double) {
        guard let smallest = seconds.min(), let largest = seconds.max() else { return (-1, 2) }
        let low = floor(log10(smallest)), high = ceil(log10(largest))
        return (low, max(high, low + 1))
    }

    private static func header(_ title: String, width: Double = width) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        \(text(width / 2, 22, title, anchor: "middle", size: 14))
        """
    }

    private static func frame(_ plotWidth: Double, _ plotHeight: Double) -> String {
        String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", left, top, plotWidth, plotHeight)
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String) -> String {
        String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"", x1, y1, x2, y2) + color + "\"/>\n"
    }

    private static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, size: Int = 12) -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" ", x, y) + "text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escaped(content))</text>\n"
    }

    private static func polyline(_ points: [(Double, Double)], _ color: String) -> String {
        let list = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(list)\"/>\n"
    }

    private static func legend(_ entries: [String], x: Double, bottom: Double) -> String {
        let y = bottom - Double(entries.count) * 18 + 10
        var svg = String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"290\" height=\"%.1f\" fill=\"white\" stroke=\"#ccc\"/>\n", x - 6, y - 12, Double(entries.count) * 18 + 6)
        for (index, entry) in entries.enumerated() {
            let row = y + Double(index) * 18
            svg += line(x, row, x + 24, row, colors[index % colors.count]).replacingOccurrences(of: "\"/>", with: "\" stroke-width=\"2\"/>")
            svg += text(x + 30, row + 4, entry, anchor: "start")
        }
        return svg
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
