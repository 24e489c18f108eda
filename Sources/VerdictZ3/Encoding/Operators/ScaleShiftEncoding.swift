import CZ3
import VerdictCore

/// `s ⊙ x + t` elementwise.
struct ScaleShiftEncoding: OperatorEncoding {
    let layer: ScaleShiftLayer

    init(_ layer: ScaleShiftLayer) { self.layer = layer }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        inputs[0].indices.map { j in
            builder.define("v_\(node)_\(j)", as: builder.affine([layer.scale[j]], [inputs[0][j]], constant: layer.shift[j]))
        }
    }
}
