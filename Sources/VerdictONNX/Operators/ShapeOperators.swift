import VerdictCore

/// Operators that only rename, reshape, reorder or compute shapes. On flat row-major data
/// Flatten, Reshape, Squeeze and Unsqueeze change nothing but the shape; Transpose reorders.
extension GraphImporter {
    static let shapeOperatorRules: [String: Rule] = [
        "Identity": { _, node in [try node.input(0)] },
        "Dropout": { _, node in
            // Inference mode: the identity. A used mask output has no meaning here.
            guard node.proto.output.count < 2 || node.proto.output[1].isEmpty else {
                throw NodeProblem("Dropout's mask output is not supported")
            }
            if let training = node.optionalInput(2) {
                guard case .constant(let flag) = training, flag.values.allSatisfy({ $0 == 0 }) else {
                    throw NodeProblem("Dropout in training mode (or with a training_mode input not known to be false) is not supported")
                }
            }
            return [try node.input(0)]
        },
        "Flatten": { _, node in
            let value = try node.input(0)
            let rank = value.shape.count
            var axis = node.integer("axis", default: 1)
            if axis < 0 { axis += rank }
            guard (0...rank).contains(axis) else { throw NodeProblem("Flatten axis \(axis) for rank \(rank)") }
            let shape = [value.shape[..<axis].reduce(1, *), value.shape[axis...].reduce(1, *)]
            return [reshaped(value, to: shape)]
        },
        "Reshape": { _, node in
            let value = try node.input(0)
            let requested = try node.constantInput(1, role: "shape").integers()
            let allowZero = node.integer("allowzero", default: 0) != 0
            var shape = requested.enumerated().map { index, size in
                size == 0 && !allowZero && index < value.shape.count ? value.shape[index] : size
            }
            let count = value.shape.reduce(1, *)
            if let inferred = shape.firstIndex(of: -1) {
                let others = shape.enumerated().filter { $0.offset != inferred }.map(\.element)
                guard others.allSatisfy({ $0 >= 0 }), let known = ConstantTensor.elementCount(others), known > 0, count % known == 0 else {
                    throw NodeProblem("Reshape of \(value.shape) to \(requested)")
                }
                shape[inferred] = count / known
            }
            guard shape.allSatisfy({ $0 >= 0 }), ConstantTensor.elementCount(shape) == count else {
                throw NodeProblem("Reshape of \(value.shape) (\(count) values) to \(requested)")
            }
            return [reshaped(value, to: shape)]
        },
        "Squeeze": { _, node in
            let value = try node.input(0)
            let rank = value.shape.count
            let axes = try (node.integers("axes") ?? node.optionalInput(1).map { try constant($0, role: "axes").integers() })?
                .map { $0 < 0 ? $0 + rank : $0 }
            let shape = value.shape.enumerated().filter { axis, size in
                axes.map { !$0.contains(axis) } ?? (size != 1)
            }.map(\.element)
            guard shape.reduce(1, *) == value.shape.reduce(1, *) else { throw NodeProblem("Squeeze of a dimension that is not 1") }
            return [reshaped(value, to: shape)]
        },
        "Unsqueeze": { _, node in
            let value = try node.input(0)
            guard let axes = try node.integers("axes") ?? node.optionalInput(1).map({ try constant($0, role: "axes").integers() }) else {
                throw NodeProblem("Unsqueeze needs axes")
            }
            let rank = value.shape.count + axes.count
            var shape = value.shape
            for axis in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() {
                guard axis >= 0 && axis <= shape.count else { throw NodeProblem("Unsqueeze axis \(axis) out of range") }
                shape.insert(1, at: axis)
            }
            return [reshaped(value, to: shape)]
        },
        "Transpose": { _, node in
            let value = try node.input(0)
            let permutation = node.integers("perm") ?? Array((0..<value.shape.count).reversed())
            guard permutation.sorted() == Array(0..<value.shape.count) else {
                throw NodeProblem("Transpose permutation \(permutation) for rank \(value.shape.count)")
            }
            switch value {
            case .constant(let tensor): return [.constant(transposed(tensor, permutation: permutation))]
            case .computed(let computed): return [.computed(try transposed(computed, permutation: permutation))]
            }
        },
        "Constant": { _, node in
            guard node.proto.attribute.count == 1 else { throw NodeProblem("Constant needs exactly one value attribute, got \(node.proto.attribute.count)") }
            if let tensor = node.attribute("value") { return [.constant(try ConstantTensor(tensor.t))] }
            if let value = node.attribute("value_float") { return [.constant(ConstantTensor(shape: [], values: [Double(value.f)]))] }
            if let value = node.attribute("value_floats") { return [.constant(ConstantTensor(shape: [value.floats.count], values: value.floats.map(Double.init)))] }
            if let value = node.attribute("value_int") { return [.constant(ConstantTensor(shape: [], values: [Double(value.i)], isInteger: true))] }
            if let value = node.attribute("value_ints") { return [.constant(ConstantTensor(shape: [value.ints.count], values: value.ints.map(Double.init), isInteger: true))] }
            throw NodeProblem("Constant without a supported value attribute")
        },
        "Shape": { _, node in
            // Opset 15's start and end select a slice of the dimensions, clamped as in NumPy.
            let shape = try node.input(0).shape, rank = shape.count
            func clamped(_ axis: Int) -> Int { min(max(axis < 0 ? axis + rank : axis, 0), rank) }
            let start = clamped(node.integer("start", default: 0)), end = clamped(node.integer("end", default: rank))
            let dims = start < end ? Array(shape[start..<end]) : []
            return [.constant(ConstantTensor(shape: [dims.count], values: dims.map(Double.init), isInteger: true))]
        },
        "Cast": { importer, node in
            // Casts between float types keep a computed tensor; constants are cast for real.
            let to = node.integer("to", default: -1)
            let float = Onnx_TensorProto.DataType.float.rawValue, double = Onnx_TensorProto.DataType.double.rawValue
            let int32 = Onnx_TensorProto.DataType.int32.rawValue, int64 = Onnx_TensorProto.DataType.int64.rawValue
            switch try node.input(0) {
            case .computed(let value):
                // The network is evaluated in Float32 and in Double; a cast between them
                // changes only the rounding, which the bound engines cover.
                guard to == float || to == double else { throw NodeProblem("Cast of a computed tensor to type \(to); only float and double are supported") }
                // Where a float query tracks rounding, a cast is a rounding in another type.
                guard importer.format == nil else {
                    throw NodeProblem("Cast of a computed tensor rounds it in another type, which Verdict does not bound; a float query over this model is not supported (declare the query real)")
                }
                return [.computed(value)]
            case .constant(var tensor):
                guard [float, double, int32, int64].contains(to) else { throw NodeProblem("Cast to type \(to); Verdict reads float, double, int32 and int64") }
                if to == int32 || to == int64 {
                    // Int64 values are kept in Double, exact below 2^53.
                    let limit = to == int32 ? 0x1p31 : 0x1p53
                    guard tensor.values.allSatisfy({ $0.magnitude < limit }) else { throw NodeProblem("Cast of values out of the integer range") }
                    tensor.values = tensor.values.map { $0.rounded(.towardZero) }
                }
                if to == float { tensor.values = tensor.values.map { Double(Float($0)) } }
                tensor.isInteger = to == int32 || to == int64
                return [.constant(tensor)]
            }
        },
        "Gather": { _, node in
            let data = try node.constantInput(0, role: "data")
            let indices = try node.constantInput(1, role: "indices")
            var axis = node.integer("axis", default: 0)
            if axis < 0 { axis += data.shape.count }
            guard (0..<data.shape.count).contains(axis) else { throw NodeProblem("Gather axis \(axis) for rank \(data.shape.count)") }
            let outer = data.shape[..<axis].reduce(1, *), size = data.shape[axis], inner = data.shape[(axis + 1)...].reduce(1, *)
            try checkComputedSize([outer, indices.elementCount, inner])
            var values: [Double] = []
            for o in 0..<outer {
                for raw in try indices.integers() {
                    let index = raw < 0 ? raw + size : raw
                    guard (0..<size).contains(index) else { throw NodeProblem("Gather index \(raw) out of range") }
                    values.append(contentsOf: data.values[((o * size + index) * inner)..<((o * size + index + 1) * inner)])
                }
            }
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            return [.constant(ConstantTensor(shape: shape, values: values, isInteger: data.isInteger))]
        },
        "Concat": { importer, node in
            if node.inputs.contains(where: { if case .computed? = $0 { return true } else { return false } }) {
                return [try concatenateComputed(node, importer: &importer)]
            }
            let parts = try (0..<node.inputs.count).map { try node.constantInput($0, role: "input") }
            guard let first = parts.first else { throw NodeProblem("Concat of nothing") }
            var axis = node.integer("axis", default: 0)
            if axis < 0 { axis += first.shape.count }
            guard (0..<first.shape.count).contains(axis) else { throw NodeProblem("Concat axis \(axis) for rank \(first.shape.count)") }
            for part in parts where part.shape.count != first.shape.count
                || part.shape.enumerated().contains(where: { $0.offset != axis && $0.element != first.shape[$0.offset] }) {
                throw NodeProblem("Concat of shapes \(parts.map(\.shape)) along axis \(axis)")
            }
            let outer = first.shape[..<axis].reduce(1, *)
            var values: [Double] = []
            for o in 0..<outer {
                for part in parts {
                    let chunk = part.shape[axis...].reduce(1, *)
                    values.append(contentsOf: part.values[(o * chunk)..<((o + 1) * chunk)])
                }
            }
            var shape = first.shape
            shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
            guard parts.allSatisfy({ $0.isInteger == first.isInteger }) else { throw NodeProblem("Concat of integer and floating-point tensors") }
            return [.constant(ConstantTensor(shape: shape, values: values, isInteger: first.isInteger))]
        },
    ]

    /// Concat with at least one computed input: a ``SelectLayer`` over the computed inputs,
    /// constants held as fills.
    static func concatenateComputed(_ node: OperatorNode, importer: inout GraphImporter) throws -> ImportedValue {
        let parts = try (0..<node.inputs.count).map { try node.input($0) }
        let rank = parts[0].shape.count
        var axis = node.integer("axis", default: 0)
        if axis < 0 { axis += rank }
        guard (0..<rank).contains(axis), parts.allSatisfy({ $0.shape.count == rank }) else { throw NodeProblem("Concat axis \(axis) for rank \(rank)") }
        for part in parts where part.shape.enumerated().contains(where: { $0.offset != axis && $0.element != parts[0].shape[$0.offset] }) {
            throw NodeProblem("Concat of shapes \(parts.map(\.shape)) along axis \(axis)")
        }
        let outer = parts[0].shape[..<axis].reduce(1, *)
        var inputs: [ValueID] = [], counts: [Int] = [], sources: [Int] = [], fill: [Double] = []
        var offsets: [Int?] = []
        for part in parts {
            if case .computed(let value) = part {
                offsets.append(counts.reduce(0, +))
                inputs.append(importer.materialize(value))
                counts.append(value.elementCount)
            } else {
                offsets.append(nil)
            }
        }
        for o in 0..<outer {
            for (part, offset) in zip(parts, offsets) {
                let chunk = part.shape[axis...].reduce(1, *)
                for k in 0..<chunk {
                    if let offset {
                        sources.append(offset + o * chunk + k)
                        fill.append(0)
                    } else if case .constant(let tensor) = part {
                        sources.append(-1)
                        fill.append(tensor.values[o * chunk + k])
                    }
                }
            }
        }
        var shape = parts[0].shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let layer = SelectLayer(name: "Concat", inputCounts: counts, sources: sources, fill: fill, outputShape: TensorShape(shape))
        let id = importer.append(layer, inputs: inputs, rounding: .exact)
        return .computed(ComputedValue(source: id, sourceCount: sources.count, shape: shape, map: .identity))
    }

    static func constant(_ value: ImportedValue, role: String) throws -> ConstantTensor {
        guard case .constant(let tensor) = value else { throw NodeProblem("the \(role) must be constant") }
        return tensor
    }

    static func reshaped(_ value: ImportedValue, to shape: [Int]) -> ImportedValue {
        switch value {
        case .constant(var tensor):
            tensor.shape = shape
            return .constant(tensor)
        case .computed(var computed):
            computed.shape = shape
            return .computed(computed)
        }
    }

    /// For each flat index of the transposed tensor, the flat index it reads.
    static func transposeSources(shape: [Int], permutation: [Int]) -> [Int] {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return multiIndices(permutation.map { shape[$0] }).map { index in
            (0..<rank).reduce(0) { $0 + index[$1] * strides[permutation[$1]] }
        }
    }

    /// Every multi-index of a tensor of `shape`, in row-major order.
    static func multiIndices(_ shape: [Int]) -> [[Int]] {
        var result: [[Int]] = []
        result.reserveCapacity(shape.reduce(1, *))
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<shape.reduce(1, *) {
            result.append(index)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    static func transposed(_ tensor: ConstantTensor, permutation: [Int]) -> ConstantTensor {
        let sources = transposeSources(shape: tensor.shape, permutation: permutation)
        return ConstantTensor(shape: permutation.map { tensor.shape[$0] }, values: sources.map { tensor.values[$0] }, isInteger: tensor.isInteger)
    }

    static func transposed(_ value: ComputedValue, permutation: [Int]) throws -> ComputedValue {
        let sources = transposeSources(shape: value.shape, permutation: permutation)
        var result = value
        result.shape = permutation.map { value.shape[$0] }
        if sources != Array(0..<sources.count) {
            // A reordering is kept as a dense matrix over the source: refuse one too large.
            try checkMatrixSize(rows: sources.count, columns: value.sourceCount)
            result.map = value.map.gathered(sources, inputCount: value.sourceCount)
            result.error = value.error?.gathered(sources, inputCount: value.sourceCount)
        }
        return result
    }
}
