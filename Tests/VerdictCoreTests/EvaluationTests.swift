import VerdictCore
import VerdictTestSupport
import XCTest

final class EvaluationTests: XCTestCase {
    /// y = relu(W1 x + b1), z = W2 y + b2, computed by hand.
    private func handNetwork() throws -> Network {
        try Network(inputShape: TensorShape([2]), sequence: [
            AffineLayer(weights: Matrix(rows: 2, columns: 2, values: [1, -1, 2, 1]), bias: [0, -1]),
            ReLULayer(shape: TensorShape([2])),
            AffineLayer(weights: Matrix(rows: 1, columns: 2, values: [1, 0.5]), bias: [0.25]),
        ])
    }

    func testHandComputedValues() throws {
        let network = try handNetwork()
        // x = (1, 2): pre = (-1, 3), relu = (0, 3), out = 0 + 1.5 + 0.25
        XCTAssertEqual(try network.evaluate([1, 2]), [1.75])
        XCTAssertEqual(try network.evaluateFloat32([1, 2]), [1.75])
        // x = (3, -1): pre = (4, 4), out = 4 + 2 + 0.25
        XCTAssertEqual(try network.evaluate([3, -1]), [6.25])
        let all = try network.evaluateAll([1, 2])
        XCTAssertEqual(all.count, 4)
        XCTAssertEqual(all[1], [-1, 3])
        XCTAssertEqual(all[2], [0, 3])
        XCTAssertEqual(network.parameterCount, 9)
        XCTAssertEqual(network.activationCount, 2)
        XCTAssertTrue(network.isSequential)
    }

    func testWrongInputSizeIsAnError() throws {
        XCTAssertThrowsError(try handNetwork().evaluate([1, 2, 3])) { error in
            XCTAssertEqual(error as? NetworkError, .inputSize(expected: 2, got: 3))
        }
    }

    func testShapeMismatchesAreRejectedWhenBuilding() {
        XCTAssertThrowsError(try Network(inputShape: TensorShape([3]), sequence: [
            AffineLayer(weights: Matrix(rows: 2, columns: 2, values: [1, 0, 0, 1]), bias: [0, 0])
        ]))
        XCTAssertThrowsError(try Network(inputShape: TensorShape([2]), nodes: [
            Network.Node(layer: ReLULayer(shape: TensorShape([2])), inputs: [.node(0)])
        ], output: .node(0)))
    }

    func testGraphsWithSeveralReadersOfOneValueEvaluate() throws {
        // Two ReLU nodes read the input; the output is the second. Not a chain.
        let network = try Network(inputShape: TensorShape([2]), nodes: [
            Network.Node(layer: ReLULayer(shape: TensorShape([2])), inputs: [.input]),
            Network.Node(layer: AffineLayer(weights: Matrix(rows: 1, columns: 2, values: [1, 1]), bias: [0]), inputs: [.input]),
        ], output: .node(1))
        XCTAssertFalse(network.isSequential)
        XCTAssertEqual(try network.evaluate([-1, 3]), [2])
    }

    func testDoubleAndFloatEvaluationAgreeOnRandomNetworks() throws {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let widths = [Int.random(in: 1...8, using: &generator)] + (0..<Int.random(in: 1...4, using: &generator)).map { _ in Int.random(in: 1...16, using: &generator) }
            let network = try RandomNetworks.multilayerPerceptron(widths: widths, generator: &generator)
            let input = (0..<widths[0]).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
            let exact = try network.evaluate(input)
            let float = try network.evaluateFloat32(input.map { Float($0) })
            for (a, b) in zip(exact, float) { XCTAssertEqual(a, Double(b), accuracy: 1e-4 * max(1, a.magnitude)) }
        }
    }

    func testMatrixProductsAndTranspose() {
        let a = Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, columns: 2, values: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(a.multiplied(by: b).values, [58, 64, 139, 154])
        XCTAssertEqual(a.transposed.values, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(a.multiplied(by: [1, 0, -1]), [-2, -2])
        // Empty shapes: no rows gives no entries, no columns gives zeros.
        XCTAssertEqual(Matrix(rows: 0, columns: 3).multiplied(by: [1, 2, 3]), [])
        XCTAssertEqual(Matrix(rows: 2, columns: 0).multiplied(by: []), [0, 0])
        XCTAssertTrue(Matrix.identity(3).isIdentity)
        XCTAssertFalse(a.isIdentity)
    }
}
