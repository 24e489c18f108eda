import Foundation

/// The few SVG elements Verdict's plots are drawn with (``CertifiedAccuracyPlot``,
/// ``BenchPlots``): standalone documents that open in a browser, numbers to 0.1 px.
enum SVG {
    /// The opening of a document with a white background and a centred title; close it with
    /// `</svg>`.
    static func header(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        \(text(width / 2, 22, title, anchor: "middle", size: 14))
        """
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ color: String, width: Double = 1, dash: String? = nil) -> String {
        String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" ", x1, y1, x2, y2) + "stroke=\"\(color)\"\(style(width, dash))/>\n"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", size: Int = 12) -> String {
        String(format: "<text x=\"%.1f\" y=\"%.1f\" ", x, y) + "text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escaped(content))</text>\n"
    }

    /// Text turned to read upwards, centred on (`x`, `y`): a y-axis label.
    static func verticalText(_ x: Double, _ y: Double, _ content: String) -> String {
        String(format: "<text transform=\"translate(%.1f %.1f) rotate(-90)\" ", x, y) + "text-anchor=\"middle\">\(escaped(content))</text>\n"
    }

    static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String = "none", stroke: String = "black") -> String {
        String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" ", x, y, width, height) + "fill=\"\(fill)\" stroke=\"\(stroke)\"/>\n"
    }

    static func circle(_ x: Double, _ y: Double, radius: Double, fill: String) -> String {
        String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" ", x, y, radius) + "fill=\"\(fill)\" fill-opacity=\"0.7\"/>\n"
    }

    static func polyline(_ points: [(Double, Double)], _ color: String, width: Double = 2, dash: String? = nil) -> String {
        let list = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke=\"\(color)\"\(style(width, dash)) points=\"\(list)\"/>\n"
    }

    /// A boxed legend whose top-left corner is (`x`, `y`): a line sample and a label per entry.
    static func legend(_ entries: [(label: String, color: String, dash: String?)], x: Double, y: Double, width: Double) -> String {
        var svg = rect(x, y, width, Double(entries.count) * 18 + 6, fill: "white", stroke: "#ccc")
        for (index, entry) in entries.enumerated() {
            let row = y + 12 + Double(index) * 18
            svg += line(x + 6, row, x + 30, row, entry.color, width: 2, dash: entry.dash)
            svg += text(x + 36, row + 4, entry.label)
        }
        return svg
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func style(_ width: Double, _ dash: String?) -> String {
        (width == 1 ? "" : " stroke-width=\"\(width)\"") + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
    }
}
