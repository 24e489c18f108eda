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
        var svg = SVG.header(width: width, height: height, title: title)
        for power in Int(low)...Int(high) {
            let seconds = pow(10, Double(power))
            svg += SVG.line(x(seconds), top, x(seconds), top + plotHeight, "#ddd")
            svg += SVG.text(x(seconds), top + plotHeight + 18, "\(decade(power)) s", anchor: "middle")
        }
        for tick in 0...4 {
            let count = Double(most) * Double(tick) / 4
            svg += SVG.line(left, y(count), left + plotWidth, y(count), "#ddd")
            svg += SVG.text(left - 6, y(count) + 4, "\(Int(count.rounded()))", anchor: "end")
        }
        svg += SVG.rect(left, top, plotWidth, plotHeight)
        for (index, times) in solvedTimes.enumerated() {
            var points = [(x(pow(10, low)), y(0))]
            for (k, seconds) in times.enumerated() { points += [(x(seconds), y(Double(k))), (x(seconds), y(Double(k + 1)))] }
            if !times.isEmpty { points.append((x(pow(10, high)), y(Double(times.count)))) }
            svg += SVG.polyline(points, color(index))
        }
        // Bottom right, where cactus lines (rising from the left) leave room.
        let entries = runs.enumerated().map { (label: "\($1.name): \(solvedTimes[$0].count) solved", color: color($0), dash: String?.none) }
        svg += SVG.legend(entries, x: left + plotWidth - 306, y: top + plotHeight - 14 - Double(entries.count) * 18, width: 290)
        svg += SVG.text(left + plotWidth / 2, height - 14, "time per instance (s, log scale)", anchor: "middle")
        svg += SVG.verticalText(16, top + plotHeight / 2, "instances solved")
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
        var svg = SVG.header(width: left + side + right, height: height, title: title)
        for power in Int(low)...Int(high) {
            let share = (Double(power) - low) / (high - low)
            svg += SVG.line(left + side * share, top, left + side * share, top + side, "#ddd")
            svg += SVG.line(left, top + side * (1 - share), left + side, top + side * (1 - share), "#ddd")
            svg += SVG.text(left + side * share, top + side + 18, decade(power), anchor: "middle")
            svg += SVG.text(left - 6, top + side * (1 - share) + 4, decade(power), anchor: "end")
        }
        svg += SVG.rect(left, top, side, side)
        svg += SVG.line(left, top + side, left + side, top, "#999")
        for (a, b) in pairs {
            svg += SVG.circle(left + side * position(a), top + side * (1 - position(b)), radius: 3, fill: color(a.isSolved && b.isSolved ? 0 : 1))
        }
        svg += SVG.text(left + side / 2, top + side + 40, "\(first.name) (s; unsolved at the right edge)", anchor: "middle")
        svg += SVG.verticalText(16, top + side / 2, "\(second.name) (s; unsolved at the top)")
        return svg + "</svg>\n"
    }

    /// Decades covering `seconds` (at least one).
    private static func logRange(_ seconds: [Double]) -> (Double, Double) {
        guard let smallest = seconds.min(), let largest = seconds.max() else { return (-1, 2) }
        let low = floor(log10(smallest)), high = ceil(log10(largest))
        return (low, max(high, low + 1))
    }

    /// 10^power as an axis label: 0.01, 0.1, 1, 10, 100.
    private static func decade(_ power: Int) -> String {
        let seconds = pow(10, Double(power))
        return seconds < 1 ? String(seconds) : String(Int(seconds))
    }

    private static func color(_ index: Int) -> String { colors[index % colors.count] }
}
