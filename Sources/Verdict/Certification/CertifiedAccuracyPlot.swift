import Foundation

/// The curve robustness papers show: certified accuracy against the radius, with the attack's
/// upper curve (inputs no counterexample broke) above it, as a standalone SVG.
public enum CertifiedAccuracyPlot {
    /// The curves from 0 to the largest radius any bracket reached (rounded up to a round
    /// number), at most `maxRadius`: past every falsified radius both curves are 0.
    public static func svg(_ records: [RadiusRecord], maxRadius: Double, title: String) -> String {
        let maxRadius = extent(records, maxRadius: maxRadius)
        let (width, height) = (640.0, 420.0)
        let (left, right, top, bottom) = (64.0, 24.0, 40.0, 56.0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ radius: Double) -> Double { left + plotWidth * radius / maxRadius }
        func y(_ share: Double) -> Double { top + plotHeight * (1 - share) }
        let count = Double(max(records.count, 1))
        let samples = (0...400).map { maxRadius * Double($0) / 400 }
        func curve(_ holds: (RadiusRecord, Double) -> Bool) -> String {
            samples.map { radius in
                let share = Double(records.filter { holds($0, radius) }.count) / count
                return String(format: "%.2f,%.2f", x(radius), y(share))
            }.joined(separator: " ")
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="22" text-anchor="middle" font-size="14">\(escaped(title))</text>

            """
        for tick in 0...5 {
            let share = Double(tick) / 5, radius = maxRadius * Double(tick) / 5
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y(share), left + plotWidth, y(share))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n", left - 6, y(share) + 4, tick * 20)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x(radius), top, x(radius), top + plotHeight)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x(radius), top + plotHeight + 18) + label(radius) + "</text>\n"
        }
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", left, top, plotWidth, plotHeight)
        svg += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"\(curve { $0.isUnbroken(at: $1) })\"/>\n"
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(curve { $0.isCertified(at: $1) })\"/>\n"
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">radius (L∞, input units)</text>\n", left + plotWidth / 2, height - 14)
        svg += String(format: "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">accuracy</text>\n", top + plotHeight / 2)
        let legendX = left + plotWidth - 250, legendY = top + 16
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"244\" height=\"40\" fill=\"white\" stroke=\"#ccc\"/>\n", legendX - 6, legendY - 12)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n", legendX, legendY, legendX + 24, legendY)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">certified (proved)</text>\n", legendX + 30, legendY + 4)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n", legendX, legendY + 18, legendX + 24, legendY + 18)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">not broken by a counterexample</text>\n", legendX + 30, legendY + 22)
        svg += "</svg>\n"
        return svg
    }

    static func extent(_ records: [RadiusRecord], maxRadius: Double) -> Double {
        let reached = records.map { $0.falsified ?? ($0.certified.map { $0 >= maxRadius ? maxRadius : $0 } ?? 0) }.max() ?? maxRadius
        guard reached > 0, reached < maxRadius else { return maxRadius }
        // 1, 2 or 5 times a power of ten, at or above the reached radius.
        let power = pow(10, floor(log10(reached)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= reached * 1.05 } ?? 10 * power
        return min(step, maxRadius)
    }

    private static func label(_ radius: Double) -> String {
        String(format: "%g", (radius * 1e6).rounded() / 1e6)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
