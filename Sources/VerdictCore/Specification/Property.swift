/// A verification query: "some input in one of these boxes reaches the unsafe output region".
/// `sat` means such an input exists; `unsat` means the network is safe on every box.
///
/// Each case pairs a box with the unsafe region that applies to it. VNN-LIB files state one
/// box with a disjunction of output conditions (MNIST, ACAS Xu) or several boxes each with
/// their own conditions; both fit.
public struct Property: Hashable, Sendable {
    public struct Case: Hashable, Sendable {
        /// Contains the real box (bounds rounded outward): what proofs must cover.
        public var box: InputBox
        /// Inside the real box (bounds rounded inward): where witnesses must lie.
        public var innerBox: InputBox
        public var unsafe: OutputRegion

        public init(box: InputBox, innerBox: InputBox? = nil, unsafe: OutputRegion) {
            self.box = box
            self.innerBox = innerBox ?? box
            self.unsafe = unsafe
        }
    }

    public var inputCount: Int
    public var outputCount: Int
    public var cases: [Case]

    public init(inputCount: Int, outputCount: Int, cases: [Case]) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.cases = cases
    }

    public var disjunctCount: Int { cases.reduce(0) { $0 + $1.unsafe.disjuncts.count } }

    public var constraintCount: Int {
        cases.reduce(0) { total, item in total + item.unsafe.disjuncts.reduce(0) { $0 + $1.count } }
    }
}
