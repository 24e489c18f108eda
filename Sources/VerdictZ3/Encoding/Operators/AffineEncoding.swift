import CZ3
import VerdictCore

/// `y = W x + b`: one variable per output, equal to its row's sum.
struct AffineEncoding: OperatorEncoding {
    let affine: AffineLayer

    init(_ affine: AffineLayer) { self.affine = affine }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        let n = affine.inputCount
        return (0..<affine.outputCount).map { o in
            builder.define("v_\(node)_\(o)", as: builder.affine(affine.weights.values[(o * n)..<((o + 1) * n)], inputs[0], constant: affine.bias[o]))
        }
    }
}
