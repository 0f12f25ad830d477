import Foundation
import GRDB
import ServiceKit
import Testing

@Suite("Service database")
struct ServiceDatabaseTests {
    @Test("the writer commits with synchronous = FULL in WAL mode, though GRDB's pool sets NORMAL when it turns WAL on")
    func writerSyncsEveryCommit() throws {
        let directory = NSTemporaryDirectory() + "service-database-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try ServiceDatabase.open(directory: directory, service: "durable") { _ in }
        let (synchronous, journal, checkpoint) = try pool.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"))
        }
        #expect(synchronous == 2, "2 is FULL: the WAL synced at every commit")
        #expect(journal == "wal")
        #expect(checkpoint == ServiceDatabase.checkpointPages)
    }
}
