import Foundation

/// The curve robustness papers show: certified accuracy against the radius, with the attack's
/// upper curve (inputs no counterexample broke) above it, as a standalone SVG.
public enum CertifiedAccuracyPlot {
    private static let (certified, unbroken) = ("#1f77b4", "#d62728")

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
        func curve(_ holds: (RadiusRecord, Double) -> Bool) -> [(Double, Double)] {
            samples.map { radius in (x(radius), y(Double(records.filter { holds($0, radius) }.count) / count)) }
        }
        var svg = SVG.header(width: width, height: height, title: title)
        for tick in 0...5 {
            let share = Double(tick) / 5, radius = maxRadius * Double(tick) / 5
            svg += SVG.line(left, y(share), left + plotWidth, y(share), "#ddd")
            svg += SVG.text(left - 6, y(share) + 4, "\(tick * 20)%", anchor: "end")
            svg += SVG.line(x(radius), top, x(radius), top + plotHeight, "#ddd")
            svg += SVG.text(x(radius), top + plotHeight + 18, label(radius), anchor: "middle")
        }
        svg += SVG.rect(left, top, plotWidth, plotHeight)
        svg += SVG.polyline(curve { $0.isUnbroken(at: $1) }, unbroken, dash: "6 3")
        svg += SVG.polyline(curve { $0.isCertified(at: $1) }, certified)
        svg += SVG.text(left + plotWidth / 2, height - 14, "radius (L∞, input units)", anchor: "middle")
        svg += SVG.verticalText(16, top + plotHeight / 2, "accuracy")
        svg += SVG.legend(
            [("certified (proved)", certified, nil), ("not broken by a counterexample", unbroken, "6 3")],
            x: left + plotWidth - 256, y: top + 4, width: 250)
        return svg + "</svg>\n"
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
}
