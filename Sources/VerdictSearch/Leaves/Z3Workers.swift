/// Z3 leaf workers kept between verifications (``Verifier/verify(engine:workers:)``): a
/// session that verifies many properties (`verdict radius`) starts its threads once, and each
/// run returns only when every leaf solver it started has stopped, so no leaf of an earlier
/// run competes with a later one for the cores. libz3 4.8.12 may take seconds to notice an
/// interrupt (``Z3LeafPool/drain()``), so that return can come late.
public final class Z3Workers: @unchecked Sendable {
    let pool: Z3LeafPool

    public init(count: Int) {
        pool = Z3LeafPool(workers: count)
    }

    deinit {
        pool.shutDown()
    }
}
