import CZ3
import VerdictCore

/// Copies and constants (Pad, Concat): the copied terms themselves, constants as numerals.
struct SelectEncoding: OperatorEncoding {
    let select: SelectLayer

    init(_ select: SelectLayer) { self.select = select }

    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        let all = inputs.flatMap { $0 }
        return select.sources.indices.map { o in
            let source = select.sources[o]
            if source >= 0 { return all[source] }
            return select.fill[o] == 0 ? nil : builder.number(select.fill[o])
        }
    }
}
