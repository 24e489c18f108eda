/// The scoping and typing rules of VNN-LIB 2.0 (the standard's chapter "Query Language",
/// sections Scoping and Typing): unique names, equivalences that point back to a network
/// without one of its own and match its interface, indices that fit their tensor, comparisons
/// and arithmetic of one element type, constants that belong to it, and no comparison
/// without a variable. Errors name the line and column.
struct QueryTyping {
    let file: String
    let query: Query

    private func error(_ message: String, line: Int, column: Int) -> VNNLIBError {
        VNNLIBError(file: file, line: line, column: column, message: message)
    }

    /// The declaration of every variable by name, with the index of its network.
    func check() throws -> [String: (declaration: TensorDeclaration, network: Int)] {
        var variables: [String: (declaration: TensorDeclaration, network: Int)] = [:]
        var networks: [String: Int] = [:]
        for (index, network) in query.networks.enumerated() {
            guard networks[network.name] == nil, variables[network.name] == nil else {
                throw error("the name \(network.name) is declared twice; network and variable names must be unique", line: network.line, column: network.column)
            }
            networks[network.name] = index
            try checkEquivalence(network, networks: networks)
            for tensor in network.tensors {
                guard variables[tensor.name] == nil, networks[tensor.name] == nil else {
                    throw error("the name \(tensor.name) is declared twice; network and variable names must be unique", line: tensor.line, column: tensor.column)
                }
                variables[tensor.name] = (tensor, index)
            }
        }
        let types = Set(query.declarations.map { $0.isReal ? "real" : $0.elementType })
        if types.contains("real") && types.count > 1, let other = query.declarations.first(where: { !$0.isReal }) {
            throw error("\(other.name) is \(other.elementType) in a query that also uses real; a real-valued query uses real only", line: other.line, column: other.column)
        }
        for assertion in query.assertions { try check(assertion, variables) }
        return variables
    }

    private func checkEquivalence(_ network: NetworkDeclaration, networks: [String: Int]) throws {
        guard let equivalence = network.equivalence else { return }
        let kind = { if case .equalTo = equivalence { return "equal-to" } else { return "isomorphic-to" } }()
        guard let targetIndex = networks[equivalence.target], equivalence.target != network.name else {
            throw error("\(kind) \(equivalence.target): no network of that name is declared before \(network.name)", line: network.line, column: network.column)
        }
        let target = query.networks[targetIndex]
        guard target.equivalence == nil else {
            throw error("\(kind) \(target.name), which is itself equal or isomorphic to another network; point to that one", line: network.line, column: network.column)
        }
        let sameTypes: Bool
        if case .equalTo = equivalence { sameTypes = true } else { sameTypes = false }
        for (mine, theirs, what) in [(network.inputs, target.inputs, "inputs"), (network.outputs, target.outputs, "outputs")] {
            guard mine.count == theirs.count else {
                throw error("\(network.name) has \(mine.count) \(what) but \(kind) \(target.name) has \(theirs.count)", line: network.line, column: network.column)
            }
            for (own, other) in zip(mine, theirs) where own.shape != other.shape || (sameTypes && typeName(own) != typeName(other)) {
                throw error(
                    "\(own.name) is \(own.elementType) \(own.shape) but \(other.name) of \(target.name) is \(other.elementType) \(other.shape); \(kind) needs the same \(sameTypes ? "types and shapes" : "shapes")",
                    line: own.line, column: own.column)
            }
        }
        guard sameTypes else { return }
        for own in network.hidden {
            guard let other = target.hidden.first(where: { $0.onnxName == own.onnxName }) else { continue }
            if own.shape != other.shape || typeName(own) != typeName(other) {
                throw error("\(own.name) and \(other.name) name the same ONNX value of equal networks but differ in type or shape", line: own.line, column: own.column)
            }
        }
    }

    private func typeName(_ declaration: TensorDeclaration) -> String { declaration.isReal ? "real" : declaration.elementType }

    // MARK: Assertions

    private func check(_ formula: BoolExpression, _ variables: [String: (declaration: TensorDeclaration, network: Int)]) throws {
        switch formula {
        case .and(let parts), .or(let parts):
            for part in parts { try check(part, variables) }
        case .compare(let relation, let left, let right, let line, let column):
            var type: String?
            try infer(left, &type, variables)
            try infer(right, &type, variables)
            guard let type else {
                throw error("(\(relation.rawValue) ...) compares constants only; a comparison needs a variable to give it a type", line: line, column: column)
            }
            try checkConstants(left, type: type)
            try checkConstants(right, type: type)
        }
    }

    /// Unifies the element types of the variables in `term` into `type`.
    private func infer(_ term: ArithmeticExpression, _ type: inout String?, _ variables: [String: (declaration: TensorDeclaration, network: Int)]) throws {
        switch term {
        case .constant:
            return
        case .element(let name, let indices, let line, let column):
            guard let (declaration, _) = variables[name] else {
                throw error("unknown variable \(name): declare it in a network first", line: line, column: column)
            }
            guard indices.count == declaration.shape.count else {
                let expected = declaration.shape.isEmpty ? "no index (it is a scalar)" : "\(declaration.shape.count) indices"
                throw error("\(name) has shape \(declaration.shape) and takes \(expected), got \(indices.count)", line: line, column: column)
            }
            if let axis = indices.indices.first(where: { indices[$0] >= declaration.shape[$0] }) {
                throw error("index \(indices[axis]) is out of range for axis \(axis) of \(name), of size \(declaration.shape[axis])", line: line, column: column)
            }
            let own = typeName(declaration)
            if let type, type != own {
                throw error("\(name) is \(own) where \(type) is expected: one comparison uses one element type", line: line, column: column)
            }
            type = own
        case .negate(let inner):
            try infer(inner, &type, variables)
        case .plus(let parts), .times(let parts):
            for part in parts { try infer(part, &type, variables) }
        case .minus(let first, let rest):
            for part in [first] + rest { try infer(part, &type, variables) }
        }
    }

    /// Integer types take integer literals only.
    private func checkConstants(_ term: ArithmeticExpression, type: String) throws {
        switch term {
        case .constant(let text, let line, let column):
            if ONNXElementTypes.integers.contains(type), !text.drop(while: { $0 == "-" }).allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw error("\(text) is not a value of \(type)", line: line, column: column)
            }
        case .element:
            return
        case .negate(let inner):
            try checkConstants(inner, type: type)
        case .plus(let parts), .times(let parts):
            for part in parts { try checkConstants(part, type: type) }
        case .minus(let first, let rest):
            for part in [first] + rest { try checkConstants(part, type: type) }
        }
    }
}
