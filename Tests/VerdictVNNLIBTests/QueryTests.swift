import VerdictCore
@testable import VerdictVNNLIB
import XCTest

/// VNN-LIB 2.0: the grammar's corner cases, the scoping and typing rules, every error with
/// its place, and what a query compiles to.
final class QueryTests: XCTestCase {
    private let network = "(declare-network f\n  (declare-input X real [1,2])\n  (declare-output Y real [2])\n)\n"
    private let box = "(assert (>= X[0,0] -1))\n(assert (<= X[0,0] 1))\n(assert (>= X[0,1] 0))\n(assert (<= X[0,1] 2))\n"
    /// X at inputs 0..<2, Y at outputs 0..<2.
    private let layout = QueryLayout(places: ["X": .input([0, 1]), "Y": .output(0)], inputCount: 2, outputCount: 2)

    private func query(_ text: String) throws -> Query {
        guard case .query(let query) = try VNNLIBParser.document(text, file: "q.vnnlib") else {
            throw XCTSkip("not read as a query")
        }
        return query
    }

    private func compile(_ assertions: String, header: String = "(vnnlib-version <2.0>)\n") throws -> CompiledQuery {
        try QueryCompiler.compile(try query(header + network + box + assertions), file: "q.vnnlib", layout: layout)
    }

    /// The error a text gives when read and checked (and compiled over `layout`).
    private func error(_ text: String, layout: QueryLayout? = nil) -> VNNLIBError? {
        do {
            let parsed = try query(text)
            try QueryCompiler.check(parsed, file: "q.vnnlib")
            _ = try QueryCompiler.compile(parsed, file: "q.vnnlib", layout: layout ?? self.layout)
            return nil
        } catch {
            return error as? VNNLIBError
        }
    }

    func testTheStandardsExamplesRead() throws {
        let text = """
            ; from the standard: several networks, equal-to, isomorphic-to, hidden nodes, scalars
            (vnnlib-version <2.1>)
            (declare-network teacher
                (declare-input  TX float32 [1,32])
                (declare-hidden TH float32 [1, 8] "hidden \\"layer\\"")
                (declare-output TY float32 [1,2])
            )
            (declare-network copy
                (equal-to teacher)
                (declare-input  CX float32 [1,32])
                (declare-output CY float32 [1,2])
            )
            (declare-network student
                (isomorphic-to teacher)
                (declare-input  SX float16 [1,32] initialized)
                (declare-output S float16 [1,2])
            )
            (assert (or (and (<= TY[0, 1] 0.5) (== CY[0,0] TY[0,0])) (!= (+ (* 2 TX [0,3]) TX[0,4] (- TX[0,5])) (- 1 2 3))))
            (assert (> S[0,1] 0.25))
            """
        let parsed = try query(text)
        XCTAssertEqual(parsed.version, QueryVersion(major: 2, minor: 1))
        XCTAssertEqual(parsed.networks.map(\.name), ["teacher", "copy", "student"])
        XCTAssertEqual(parsed.networks[0].hidden[0].onnxName, "hidden \"layer\"")
        XCTAssertEqual(parsed.networks[0].hidden[0].shape, [1, 8])
        XCTAssertEqual(parsed.networks[1].equivalence, .equalTo("teacher"))
        XCTAssertEqual(parsed.networks[2].equivalence, .isomorphicTo("teacher"))
        XCTAssertTrue(parsed.networks[2].inputs[0].initialized)
        XCTAssertEqual(parsed.networks[2].outputs[0].shape, [1, 2])
        XCTAssertEqual(parsed.declarations.map(\.name), ["TX", "TH", "TY", "CX", "CY", "SX", "S"])
        XCTAssertNoThrow(try QueryCompiler.check(parsed, file: "q.vnnlib"))
    }

    func testEveryComparison() throws {
        let cases: [(String, [[String]])] = [
            ("(<= Y[0] 0.5)", [["Y_0 <= 0.5"]]),
            ("(< Y[0] 0.5)", [["Y_0 < 0.5"]]),
            ("(>= Y[0] 0.5)", [["-Y_0 <= -0.5"]]),
            ("(> Y[0] Y[1])", [["-Y_0 + Y_1 < 0.0"]]),
            ("(== Y[0] 0.5)", [["Y_0 <= 0.5", "-Y_0 <= -0.5"]]),
            ("(= Y[0] 0.5)", [["Y_0 <= 0.5", "-Y_0 <= -0.5"]]),
            ("(!= Y[0] 0.5)", [["-Y_0 < -0.5"], ["Y_0 < 0.5"]]),
            ("(and (<= Y[0] 1) (or (<= Y[1] 2) (>= Y[1] 3)))", [["Y_0 <= 1.0", "Y_1 <= 2.0"], ["Y_0 <= 1.0", "-Y_1 <= -3.0"]]),
            ("(<= (- (* 2 Y[0]) Y[1] (- Y[0])) (+ 1 2))", [["3.0·Y_0 - Y_1 <= 3.0"]]),
        ]
        for (assertion, expected) in cases {
            let compiled = try compile("(assert \(assertion))")
            XCTAssertEqual(compiled.property.cases.count, 1, assertion)
            XCTAssertEqual(compiled.property.cases[0].unsafe.disjuncts.map { $0.map(\.description) }, expected, assertion)
            XCTAssertEqual(compiled.property.cases[0].box, InputBox(lower: [-1, 0], upper: [1, 2]), assertion)
            XCTAssertTrue(compiled.passthroughInputs.isEmpty, assertion)
        }
    }

    func testInputRelationsBecomePassthroughOutputs() throws {
        // X[0,0] - X[0,1] and Y[1] - X[0,1]: both inputs are copied to outputs 2 and 3.
        let compiled = try compile("(assert (<= (- X[0,0] X[0,1]) 0.5))\n(assert (<= Y[1] X[0,1]))")
        XCTAssertEqual(compiled.passthroughInputs, [0, 1])
        XCTAssertEqual(compiled.property.outputCount, 4)
        XCTAssertEqual(compiled.property.cases[0].unsafe.disjuncts[0].map(\.description), ["Y_2 - Y_3 <= 0.5", "Y_1 - Y_3 <= 0.0"])
        XCTAssertEqual(compiled.property.cases[0].box, InputBox(lower: [-1, 0], upper: [1, 2]))
    }

    func testDecimalsAreEnclosedAndCoefficientsExact() throws {
        let compiled = try compile("(assert (<= Y[0] 0.1))")
        let bound = compiled.property.cases[0].unsafe.disjuncts[0][0].bound
        XCTAssertLessThan(bound.lower, bound.upper, "0.1 has no exact binary value: an enclosing interval")
        XCTAssertEqual(error("(vnnlib-version <2.0>)\n" + network + box + "(assert (<= (* 0.1 Y[0]) 1))")?.message.contains("exact"), true)
    }

    func testErrorsNameTheirPlace() {
        let header = "(vnnlib-version <2.0>)\n"
        let cases: [(String, Int, Int, String)] = [
            ("(declare-network f (declare-input X real [1]) (declare-output Y real [1]))", 1, 1, "vnnlib-version"),
            ("(vnnlib-version <3.0>)\n" + network, 1, 17, "not supported"),
            ("(vnnlib-version <2.x>)\n" + network, 1, 17, "bad version"),
            (header + network + box + network, 10, 1, "before the assertions"),
            (header + "(declare-network f (declare-input X single [1]) (declare-output Y real [1]))", 2, 37, "unknown element type"),
            (header + "(declare-network f (declare-input X real [1,0]) (declare-output Y real [1]))", 2, 42, "bad shape"),
            (header + "(declare-network f (declare-input X real [1]))", 2, 1, "no output"),
            (header + "(declare-network f (declare-output Y real [1]) (declare-input X real [1]))", 2, 48, "too late"),
            (header + "(declare-network f (declare-input X real [1]) (declare-output X real [1]))", 2, 47, "declared twice"),
            (header + "(declare-network f (declare-input 1X real [1]) (declare-output Y real [1]))", 2, 35, "bad name"),
            (header + "(declare-network f (declare-hidden H real [1]) (declare-input X real [1]) (declare-output Y real [1]))", 2, 20, "onnx-name"),
            (header + "(declare-network f (declare-input X real [1] initialized) (declare-output Y real [1]))", 2, 46, "2.1"),
            (header + "(declare-network f (declare-input X real [1]) (declare-output Y real [1] \"y\"))", 2, 74, "unexpected"),
            (header + network + box + "(assert (<= Z[0] 1))", 10, 13, "unknown variable Z"),
            (header + network + box + "(assert (<= Y[0,0] 1))", 10, 13, "takes 1 indices"),
            (header + network + box + "(assert (<= Y[2] 1))", 10, 13, "out of range"),
            (header + network + box + "(assert (<= 0.5 1))", 10, 9, "compares constants only"),
            (header + network + box + "(assert (<= Y[0] 1 2))", 10, 9, "exactly two terms"),
            (header + network + box + "(assert (not (<= Y[0] 1)))", 10, 10, "unknown formula operator"),
            (header + network + box + "(assert (<= (/ Y[0] 2) 1))", 10, 14, "unknown term operator"),
            (header + network + box + "(assert (<= (* Y[0] Y[1]) 1))", 10, 21, "POLY"),
            (header + network + box + "(assert (<= Y[0] 1x))", 10, 18, "bad number"),
            (header + network + box + "(assert (<= Y[0] \"1\"))", 10, 18, "bad name"),
            (header + network + "(assert (<= Y[0] 1))", 0, 0, "X[0,0] has no lower bound"),
            (header + network + "(declare-network g (equal-to f) (declare-input A real [1,3]) (declare-output B real [2]))", 6, 33, "same types and shapes"),
            (header + network + "(declare-network g (equal-to h) (declare-input A real [1,2]) (declare-output B real [2]))", 6, 1, "no network of that name"),
            (header + network + "(declare-network g (equal-to f) (equal-to f) (declare-input A real [1,2]) (declare-output B real [2]))", 6, 33, "second equal-to"),
            (header + network + "(declare-network g (equal-to f) (declare-input A real [1,2]) (declare-output B real [2]))\n"
                + "(declare-network h (isomorphic-to g) (declare-input C real [1,2]) (declare-output D real [2]))", 7, 1, "itself equal"),
            (header + "(declare-network f (declare-input X real [1]) (declare-output Y float32 [1]))", 2, 47, "real-valued query uses real only"),
            (header + "(declare-network f (declare-input X int32 [1]) (declare-output Y int32 [1]))\n(assert (<= X[0] 1.5))", 3, 18, "not a value of int32"),
            (header + "(declare-network f (declare-input X float32 [1]) (declare-output Y float64 [1]))\n(assert (<= X[0] Y[0]))", 3, 18, "one comparison uses one element type"),
            (header + "(declare-network f (declare-input X real [1]) (declare-hidden H real [1] \"h) (declare-output Y real [1]))", 2, 0, "unterminated"),
            (header + network + box + "(assert (<= X[0 Y[0]))", 10, 14, "never closed"),
        ]
        for (text, line, column, message) in cases {
            guard let found = error(text) else {
                XCTFail("no error for: \(text)")
                continue
            }
            XCTAssertTrue(found.message.contains(message), "\(found) for \(text)")
            XCTAssertEqual(found.line, line, "\(found)")
            if column > 0 { XCTAssertEqual(found.column, column, "\(found)") }
        }
    }

    func testEqualIsomorphicRules() throws {
        // isomorphic-to allows other element types; equal-to does not.
        let base = "(vnnlib-version <2.0>)\n(declare-network f (declare-input X float32 [2]) (declare-output Y float32 [1]))\n"
        XCTAssertNoThrow(try QueryCompiler.check(
            try query(base + "(declare-network g (isomorphic-to f) (declare-input A float16 [2]) (declare-output B float16 [1]))"), file: "q"))
        XCTAssertThrowsError(try QueryCompiler.check(
            try query(base + "(declare-network g (equal-to f) (declare-input A float16 [2]) (declare-output B float16 [1]))"), file: "q"))
    }

    func testConversionRefusesWhatItCannotWrite() throws {
        // An initialized input is a constant: a 1.0 file has no name for it.
        let initialized = try query("""
            (vnnlib-version <2.1>)
            (declare-network N (declare-input D real [1] initialized) (declare-input X real [1]) (declare-output Y real [1]))
            (assert (<= D[0] 1))
            """)
        XCTAssertThrowsError(try QueryConversion.version1(of: initialized, file: "q")) { error in
            XCTAssertTrue("\(error)".contains("initialized input"), "\(error)")
        }
        // Shapes past 2^31 elements are refused where they are read, before anything counts them.
        XCTAssertEqual(error("(vnnlib-version <2.0>)\n(declare-network f (declare-input X real [4294967296,4294967296]) (declare-output Y real [1]))")?
            .message.contains("more than 2^31 elements"), true)
        // An exponent that would need a billion digits written out is an error, not a hang.
        let text = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (<= Y_0 1e-999999999999))\n"
        XCTAssertThrowsError(try QueryConversion.version2(of: text, file: "p", inputs: [.init(shape: [1], hasDefault: false)], outputShape: [1]))
        // A product of constants scales by the exact one.
        let compiled = try compile("(assert (<= Y[0] (* 0.1 2)))")
        XCTAssertEqual(compiled.property.cases[0].unsafe.disjuncts[0][0].bound.nearest, 0.2, accuracy: 1e-15)
    }

    func testPlainDecimals() {
        let cases = [("1e-3", "0.001"), ("4.2E+7", "42000000"), ("+2", "2"), (".5", "0.5"), ("5.", "5"), ("-1.5e2", "-150"), ("0.25", "0.25"),
                     ("-0.0", "-0.0"), ("12.5e-1", "1.25"), ("7", "7")]
        for (text, expected) in cases { XCTAssertEqual(plainDecimal(text), expected, text) }
        XCTAssertNil(plainDecimal("1x"))
    }

    func testConversionRoundTrips() throws {
        let text = """
            (declare-const X_0 Real)
            (declare-const X_1 Real)
            (declare-const X_2 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (and (>= X_0 -1e-1) (<= X_0 .5) (<= 0 X_1 2) (>= X_2 1) (<= X_2 2)))
            (assert (not (or (> Y_0 Y_1) (= Y_1 3))))
            (assert (or (<= (- Y_0 (* 2 Y_1)) 0.25) (< Y_0 -1)))
            """
        let original = try VNNLIBParser.parse(text, file: "p.vnnlib")
        let converted = try QueryConversion.version2(
            of: text, file: "p.vnnlib", inputs: [.init(shape: [1, 3], hasDefault: false), .init(shape: [4], hasDefault: true)], outputShape: [2])
        XCTAssertTrue(converted.contains("(vnnlib-version <2.1>)"), converted)
        XCTAssertTrue(converted.contains("(declare-input D0 real [4] initialized)"), converted)
        XCTAssertTrue(converted.contains("X[0,2]") && !converted.contains("X_"), converted)
        let parsed = try query(converted)
        let layout = QueryLayout(places: ["X": .input([0, 1, 2]), "Y": .output(0)], inputCount: 3, outputCount: 2)
        let compiled = try QueryCompiler.compile(parsed, file: "q", layout: layout)
        XCTAssertEqual(compiled.property, original)
        // And back to 1.0 (a query without the initialized input).
        let single = converted.replacingOccurrences(of: "    (declare-input D0 real [4] initialized)\n", with: "")
            .replacingOccurrences(of: "<2.1>", with: "<2.0>")
        let back = try QueryConversion.version1(of: try query(single), file: "q")
        XCTAssertEqual(try VNNLIBParser.parse(back, file: "back.vnnlib"), original)
    }
}
