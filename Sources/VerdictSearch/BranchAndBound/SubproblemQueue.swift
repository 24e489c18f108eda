import HeapModule

/// Open subproblems in two orders at once: by ``OpenSubproblem/priority`` (the weakest lower
/// bound, the one that keeps a proof moving) and by ``OpenSubproblem/concreteMargin`` (the
/// closest any computed point came to the unsafe region, the one that finds counterexamples
/// hiding in small corners). Branch and bound draws from both.
///
/// Which subproblems get split does not depend on the order they are popped in, so a proof
/// costs the same either way; the order only decides how soon a counterexample is met.
/// Two heaps (swift-collections' `Heap`) hold keys and identifiers; an entry popped through
/// one heap is left stale in the other and skipped there. Subproblems wait in their compact
/// form (``CompactSubproblem``).
struct SubproblemQueue {
    enum Order {
        case weakestBound
        case closestPoint
    }

    /// A heap entry: the key, then the insertion order, so ties pop first in, first out.
    private struct Entry: Comparable {
        let key: Double
        let id: Int

        static func < (a: Entry, b: Entry) -> Bool { (a.key, a.id) < (b.key, b.id) }

        /// The entries of subproblem `id` in the two orders (no point: last by closeness).
        static func pair(id: Int, priority: Double, margin: Double) -> (bound: Entry, point: Entry) {
            (Entry(key: priority, id: id), Entry(key: margin.isNaN ? .infinity : margin, id: id))
        }
    }

    private var stored: [Int: CompactSubproblem] = [:]
    private var byBound = Heap<Entry>()
    private var byPoint = Heap<Entry>()
    private var nextID = 0
    private(set) var bytes = 0

    /// The share of its tree each open subproblem stands for, summed: `2^-depth` each.
    private(set) var openVolume = 0.0

    var count: Int { stored.count }
    var isEmpty: Bool { stored.isEmpty }

    /// The share of its tree a subproblem split `depth` times stands for.
    static func volume(depth: Int) -> Double { Double(sign: .plus, exponent: -depth, significand: 1) }

    mutating func push(_ item: OpenSubproblem) {
        let id = nextID
        nextID += 1
        let compact = CompactSubproblem(item)
        stored[id] = compact
        bytes += compact.approximateBytes
        openVolume += Self.volume(depth: item.depth)
        let entries = Entry.pair(id: id, priority: item.priority, margin: item.concreteMargin)
        byBound.insert(entries.bound)
        byPoint.insert(entries.point)
    }

    mutating func pop(_ order: Order = .weakestBound) -> OpenSubproblem? {
        while true {
            let entry: Entry?
            switch order {
            case .weakestBound: entry = byBound.popMin()
            case .closestPoint: entry = byPoint.popMin()
            }
            guard let entry else { return nil }
            guard let item = stored.removeValue(forKey: entry.id) else { continue }
            bytes -= item.approximateBytes
            openVolume -= Self.volume(depth: item.depth)
            compactIfStale()
            return item.expanded
        }
    }

    /// The lowest ``OpenSubproblem/priority`` queued, without removing it.
    mutating func weakestBound() -> Double? {
        while let top = byBound.min {
            if let item = stored[top.id] { return item.priority }
            _ = byBound.popMin()
        }
        return nil
    }

    /// Rebuilds both heaps once stale entries outnumber live ones, so memory follows `count`.
    private mutating func compactIfStale() {
        guard byBound.count + byPoint.count > 4 * stored.count + 1024 else { return }
        let entries = stored.map { Entry.pair(id: $0.key, priority: $0.value.priority, margin: $0.value.concreteMargin) }
        byBound = Heap(entries.map(\.bound))
        byPoint = Heap(entries.map(\.point))
    }
}
