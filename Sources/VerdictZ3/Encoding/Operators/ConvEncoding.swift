import CZ3
import VerdictCore

/// A convolution or average pool: one variable per output, equal to the sum over its window.
struct ConvEncoding: OperatorEncoding {
    let conv: ConvLayer

    init(_ conv: ConvLayer) { self.conv = conv }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        let g = conv.geometry
        var pairs = [[(Double, Z3_ast)]](repeating: [], count: conv.outputCount)
        for co in 0..<conv.outputChannels {
            let group = co / conv.outputChannelsPerGroup
            for local in 0..<conv.inputChannelsPerGroup {
                let ci = group * conv.inputChannelsPerGroup + local
                let kernel = (co * conv.inputChannelsPerGroup + local) * g.taps
                g.forEachTap { op, ip, tap in
                    let w = conv.weights[kernel + tap]
                    if w != 0, let x = inputs[0][ci * g.inputPlane + ip] { pairs[co * g.outputPlane + op].append((w, x)) }
                }
            }
        }
        return pairs.enumerated().map { o, terms in
            builder.define("v_\(node)_\(o)", as: builder.sum(terms, constant: conv.bias[o / g.outputPlane]))
        }
    }
}
