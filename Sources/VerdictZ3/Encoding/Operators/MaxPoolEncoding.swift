import CZ3
import VerdictCore

/// `y = max(x_1, ..., x_k)` per window: `y >= x_i` for every `i`, and `y = x_i` for some `i`.
struct MaxPoolEncoding: OperatorEncoding {
    let windows: [[Int]]

    init(_ pool: MaxPoolLayer) { windows = pool.windows }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        let context = builder.context, zero = builder.number(0)
        return windows.enumerated().map { o, window -> Z3_ast? in
            let terms = window.map { inputs[0][$0] ?? zero }
            if terms.count == 1 { return terms[0] }
            let y = builder.variable("v_\(node)_\(o)")
            for x in terms { builder.require(Z3_mk_ge(context, y, x)!) }
            let equalities = terms.map { Optional(Z3_mk_eq(context, y, $0)!) }
            builder.require(Z3_mk_or(context, UInt32(equalities.count), equalities)!)
            return y
        }
    }
}
