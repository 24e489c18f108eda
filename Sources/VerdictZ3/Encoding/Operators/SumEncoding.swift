import CZ3
import VerdictCore

/// `a ± b` elementwise (a residual join).
struct SumEncoding: OperatorEncoding {
    let sum: SumLayer

    init(_ sum: SumLayer) { self.sum = sum }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        inputs[0].indices.map { j in
            builder.define("v_\(node)_\(j)", as: builder.affine([1, sum.secondSign], [inputs[0][j], inputs[1][j]], constant: 0))
        }
    }
}
