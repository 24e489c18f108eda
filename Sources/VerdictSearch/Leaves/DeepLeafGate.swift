/// Which leaves split past `--z3-leaf-depth` still go to Z3. Under ReLU splitting, only those
/// with fewer than half the unstable ReLUs of every leaf Z3 gave up on: on a convolutional
/// network Z3 decides no deep leaf with hundreds of unstable ReLUs, and each one held a core
/// for its whole time limit (oval21 `cifar_wide_kw img3458` sent 20, Z3 was busy 224 s of
/// 300, and the bounds' rate fell from 105 to 78 subproblems a second). A ReLU-split leaf
/// with unstable ReLUs can always be split instead. Input splitting keeps its deep leaves
/// for Z3: their boxes are small.
struct DeepLeafGate {
    let mode: SplitMode
    private(set) var limit = Int.max

    init(mode: SplitMode) { self.mode = mode }

    /// Whether a deep leaf with `unstable` unstable ReLUs goes to Z3.
    func admits(unstable: Int) -> Bool {
        mode != .relu || unstable == 0 || unstable < limit
    }

    /// Z3 gave up on a leaf with `unstable` unstable ReLUs.
    mutating func gaveUp(unstable: Int) {
        limit = min(limit, unstable / 2)
    }
}
