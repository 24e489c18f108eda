import Foundation
import XCTest

/// A test case with a fresh folder under the temporary directory for each test, removed after
/// it: for tests that write files (results, datasets, suites).
open class FolderTestCase: XCTestCase {
    public private(set) var folder: URL!

    open override func setUpWithError() throws {
        try super.setUpWithError()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
        try super.tearDownWithError()
    }

    /// The path of `name` in the test's folder.
    public func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }
}
