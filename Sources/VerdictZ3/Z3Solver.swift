import CZ3

/// A thin, safe handle on libz3: one context and one solver.
///
/// Z3's default error handler aborts the process; this wrapper installs a handler that does
/// nothing and checks the error code after each call instead, so a bad formula becomes a
/// Swift error. Later layers build the network encoding on top of `assert(smtlib2:)` and
/// the model queries.
public final class Z3Solver: @unchecked Sendable {
    public enum Result: String, Sendable {
        case sat, unsat, unknown
    }

    let context: Z3_context
    let solver: Z3_solver

    /// The linked library's version, for example `4.8.12`.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return "\(major).\(minor).\(build)"
    }

    /// Which of Z3's solvers answers the checks.
    public enum Setup: String, Sendable {
        /// Z3's general solver: probes the formula and preprocesses it (solving equalities,
        /// propagating values) before the SMT core runs. Pays off on a whole network, where
        /// the preprocessing eliminates the affine equalities.
        case general
        /// Z3's SMT core alone. The general solver's setup costs about 11 ms per check with
        /// libz3 4.8 (a two-variable query with a fresh context: 13 ms vs 2 ms), which
        /// dominates the small queries of branch-and-bound leaves.
        case core
    }

    /// - Parameters:
    ///   - timeoutMilliseconds: per `check()` limit; nil for none.
    ///   - setup: the solver that answers the checks.
    public init(timeoutMilliseconds: UInt32? = nil, setup: Setup = .general) {
        let configuration = Z3_mk_config()!
        if let timeoutMilliseconds { Z3_set_param_value(configuration, "timeout", String(timeoutMilliseconds)) }
        let context = Z3_mk_context(configuration)!
        Z3_del_config(configuration)
        Z3_set_error_handler(context) { _, _ in }
        self.context = context
        switch setup {
        case .general: solver = Z3_mk_solver(context)!
        case .core: solver = Z3_mk_simple_solver(context)!
        }
        Z3_solver_inc_ref(context, solver)
        // Z3 would otherwise install its own SIGINT handler for the length of each check,
        // swallowing the interrupt a user meant for Verdict (which stops the run itself).
        let parameters = Z3_mk_params(context)!
        Z3_params_inc_ref(context, parameters)
        Z3_params_set_bool(context, parameters, Z3_mk_string_symbol(context, "ctrl_c"), false)
        Z3_solver_set_params(context, solver, parameters)
        Z3_params_dec_ref(context, parameters)
    }

    deinit {
        Z3_solver_dec_ref(context, solver)
        Z3_del_context(context)
    }

    /// Asserts every `(assert ...)` of an SMT-LIB 2 text (declarations included).
    public func assert(smtlib2 text: String) throws {
        let formulas = Z3_parse_smtlib2_string(context, text, 0, nil, nil, 0, nil, nil)
        try checkError("Z3_parse_smtlib2_string")
        guard let formulas else { throw Z3Error(call: "Z3_parse_smtlib2_string", message: "no result") }
        Z3_ast_vector_inc_ref(context, formulas)
        defer { Z3_ast_vector_dec_ref(context, formulas) }
        for index in 0..<Z3_ast_vector_size(context, formulas) {
            Z3_solver_assert(context, solver, Z3_ast_vector_get(context, formulas, index))
            try checkError("Z3_solver_assert")
        }
    }

    /// Stops a running `check()` from another thread (Z3's interrupt is thread-safe); that
    /// check then answers `unknown`.
    public func interrupt() {
        Z3_interrupt(context)
    }

    public func check() throws -> Result {
        let result = Z3_solver_check(context, solver)
        try checkError("Z3_solver_check")
        switch result {
        case Z3_L_TRUE: return .sat
        case Z3_L_FALSE: return .unsat
        default: return .unknown
        }
    }

    /// Why the last check answered `unknown` (timeout, interruption, ...).
    public var reasonUnknown: String {
        Z3_solver_get_reason_unknown(context, solver).map { String(cString: $0) } ?? "unknown"
    }

    /// The value of a real constant in the last `sat` model, as a decimal approximation.
    public func modelValue(ofReal name: String) throws -> Double? {
        guard let model = Z3_solver_get_model(context, solver) else { return nil }
        Z3_model_inc_ref(context, model)
        defer { Z3_model_dec_ref(context, model) }
        let symbol = Z3_mk_string_symbol(context, name)
        let constant = Z3_mk_const(context, symbol, Z3_mk_real_sort(context))
        var value: Z3_ast?
        guard Z3_model_eval(context, model, constant, true, &value), let value else { return nil }
        try checkError("Z3_model_eval")
        guard let text = Z3_get_numeral_decimal_string(context, value, 30) else { return nil }
        // Z3 marks a truncated decimal with a trailing '?'.
        return Double(String(cString: text).filter { $0 != "?" })
    }

    func checkError(_ call: String) throws {
        let code = Z3_get_error_code(context)
        guard code == Z3_OK else {
            let message = Z3_get_error_msg(context, code).map { String(cString: $0) } ?? "error \(code)"
            throw Z3Error(call: call, message: message)
        }
    }
}

public struct Z3Error: Error, CustomStringConvertible {
    public let call: String
    public let message: String

    public var description: String { "Z3 \(call) failed: \(message)" }
}
