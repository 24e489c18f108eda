/// NumPy-style broadcasting, as ONNX uses for elementwise operators.
enum Broadcasting {
    /// The shape two operands broadcast to, or nil when they cannot.
    static func shape(_ left: [Int], _ right: [Int]) -> [Int]? {
        let rank = max(left.count, right.count)
        let a = Array(repeating: 1, count: rank - left.count) + left
        let b = Array(repeating: 1, count: rank - right.count) + right
        var result: [Int] = []
        for (x, y) in zip(a, b) {
            guard x == y || x == 1 || y == 1 else { return nil }
            result.append(x == 1 ? y : x)
        }
        return result
    }

    /// The values of a tensor of `shape` repeated to fill `target`; nil when it does not broadcast.
    static func expand(_ values: [Double], shape: [Int], to target: [Int]) -> [Double]? {
        guard shape.count <= target.count else { return nil }
        let padded = Array(repeating: 1, count: target.count - shape.count) + shape
        for (x, y) in zip(padded, target) where x != y && x != 1 { return nil }
        if padded == target { return values }
        let count = target.reduce(1, *)
        // Strides of the source, 0 along broadcast dimensions.
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for axis in stride(from: target.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : step
            step *= padded[axis]
        }
        var result = [Double](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: target.count)
        for flat in 0..<count {
            var source = 0
            for axis in 0..<target.count { source += index[axis] * strides[axis] }
            result[flat] = values[source]
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < target[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
}
