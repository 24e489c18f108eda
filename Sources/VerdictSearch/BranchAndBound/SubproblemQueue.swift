/// Open subproblems in two orders at once: by ``OpenSubproblem/priority`` (the weakest lower
/// bound, the one that keeps a proof moving) and by ``OpenSubproblem/concreteMargin`` (the
/// closest any computed point came to the unsafe region, the one that finds counterexamples
/// hiding in small corners). Branch and bound draws from both.
///
/// Which subproblems get split does not depend on the order they are popped in, so a proof
/// costs the same either way; the order only decides how soon a counterexample is met.
/// Two binary heaps hold keys and identifiers; an entry popped through one heap is left
/// stale in the other and skipped there. Subproblems wait in their compact form
/// (``CompactSubproblem``).
struct SubproblemQueue {
    enum Order {
        case weakestBound
        case closestPoint
    }

    private struct Entry {
        let key: Double
        let id: Int
    }

    private var stored: [Int: CompactSubproblem] = [:]
    private var byBound: [Entry] = []
    private var byPoint: [Entry] = []
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
        Self.insert(Entry(key: item.priority, id: id), into: &byBound)
        Self.insert(Entry(key: item.concreteMargin.isNaN ? .infinity : item.concreteMargin, id: id), into: &byPoint)
    }

    mutating func pop(_ order: Order = .weakestBound) -> OpenSubproblem? {
        while true {
            let entry: Entry?
            switch order {
            case .weakestBound: entry = Self.removeMinimum(&byBound)
            case .closestPoint: entry = Self.removeMinimum(&byPoint)
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
        while let top = byBound.first {
            if let item = stored[top.id] { return item.priority }
            _ = Self.removeMinimum(&byBound)
        }
        return nil
    }

    /// Rebuilds both heaps once stale entries outnumber live ones, so memory follows `count`.
    private mutating func compactIfStale() {
        guard byBound.count + byPoint.count > 4 * stored.count + 1024 else { return }
        byBound = []
        byPoint = []
        for (id, item) in stored {
            Self.insert(Entry(key: item.priority, id: id), into: &byBound)
            Self.insert(Entry(key: item.concreteMargin.isNaN ? .infinity : item.concreteMargin, id: id), into: &byPoint)
        }
    }

    private static func insert(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].key < heap[parent].key else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func removeMinimum(_ heap: inout [Entry]) -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].key < heap[smallest].key { smallest = left }
            if right < heap.count && heap[right].key < heap[smallest].key { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
