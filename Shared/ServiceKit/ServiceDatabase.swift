import Foundation
import GRDB

/// Opens a service's SQLite file through GRDB and runs its migrations, after ServiceKit's own
/// (the dedup table `bus_handled`, the ``Outbox`` table `bus_outbox` and the durable emits'
/// table `bus_emits`).
public enum ServiceDatabase {
    /// The WAL's size in pages (of 4 KiB) at which a commit checkpoints it: 8,192, about 32 MiB.
    public static let checkpointPages = 8192

    /// Opens (creating if needed) `<directory>/<service>.sqlite` and migrates it.
    ///
    /// The journal is WAL (a pool's readers never wait for the writer) with
    /// `synchronous = FULL`: a commit returns once the WAL is on disk, so a power loss or an OS
    /// crash loses no committed transaction. `NORMAL` would be cheaper per commit but may lose
    /// the last commits on a power loss — after their replies went out, when no publisher will
    /// send the events again (the edge re-publishes only what is unanswered), so an answered
    /// chat message could vanish. The runtime commits a whole batch at once, so the sync is
    /// paid once per batch, not per event. GRDB's pool sets `synchronous = NORMAL` on its writer
    /// when it turns WAL on, after `prepareDatabase` ran, so `FULL` is set again on the writer
    /// once the pool is open (until 2026-12-07 it was not, and commits were not synced).
    ///
    /// The WAL is copied back into the file (checkpointed) once it holds ``checkpointPages``
    /// pages rather than SQLite's 1,000: every batch rewrites pages of the dedup table and of
    /// the service's own tables, so a small WAL copied the same pages back again and again, each
    /// checkpoint in the commit of the batch that crossed the mark. A checkpoint copies only
    /// committed pages, so this changes nothing of what a crash or a power loss keeps.
    public static func open(directory: String, service: String,
                            migrations: @Sendable (inout DatabaseMigrator) -> Void) throws -> DatabasePool
    {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(checkpointPages)")
        }
        let pool = try DatabasePool(path: "\(directory)/\(service).sqlite", configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("servicekit.1 bus_handled") { db in
            try db.create(table: "bus_handled") { table in
                table.primaryKey("id", .text)
                table.column("body", .blob).notNull()
                table.column("error", .text)
                table.column("attachments", .blob)
                table.column("handled_at", .integer).notNull().indexed()
            }
        }
        migrator.registerMigration("servicekit.2 bus_outbox") { db in try Outbox.migrate(db) }
        migrator.registerMigration("servicekit.3 bus_emits") { db in try EmitOutbox.migrate(db) }
        migrations(&migrator)
        try migrator.migrate(pool)
        return pool
    }
}
