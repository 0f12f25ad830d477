import Foundation

/// The server processes a `switchboard-bench socketio` run charges its costs to, read from
/// Linux `/proc`: CPU time, voluntary context switches and resident memory, summed over every
/// process (and, for the context switches, over every thread of each process).
struct ServerProcesses: Sendable {
    /// What the processes had used at one moment, summed over them all.
    struct Sample: Sendable {
        /// User + system CPU seconds (`utime` + `stime` of `/proc/<pid>/stat`), every thread included.
        var cpuSeconds: Double
        /// `voluntary_ctxt_switches` of `/proc/<pid>/task/<tid>/status` by thread (`pid/tid`).
        var threadSwitches: [String: Int]
        /// `VmRSS` of `/proc/<pid>/status`, in bytes.
        var residentBytes: Int

        /// Voluntary context switches summed over the threads.
        var voluntarySwitches: Int { threadSwitches.values.reduce(0, +) }

        /// What was used between `earlier` and this sample. A thread's context switches count
        /// from `earlier` (or from its start, when it is new); a thread that ended in between
        /// counts nothing, since Linux keeps no count of it outside the process.
        func since(_ earlier: Sample) -> Sample {
            Sample(cpuSeconds: cpuSeconds - earlier.cpuSeconds,
                   threadSwitches: threadSwitches.reduce(into: [:]) { delta, thread in
                       delta[thread.key] = thread.value - (earlier.threadSwitches[thread.key] ?? 0)
                   },
                   residentBytes: residentBytes - earlier.residentBytes)
        }
    }

    /// The process ids, in the order given.
    let pids: [Int32]

    /// The processes `pids`; every one must exist now.
    init(pids: [Int32]) throws {
        for pid in pids where !FileManager.default.fileExists(atPath: "/proc/\(pid)/stat") {
            throw EdgeBenchFailure(description: "no process \(pid) (/proc/\(pid)/stat; Linux only)")
        }
        self.pids = pids
    }

    /// The processes of `--server-pids 1,2,3` and of pid files (a number each, or several
    /// separated by commas, spaces or lines).
    init(list: String?, files: [String]) throws {
        var texts = list.map { [$0] } ?? []
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw EdgeBenchFailure(description: "cannot read pid file \(file)")
            }
            texts.append(text)
        }
        var pids: [Int32] = []
        for text in texts {
            for word in text.split(whereSeparator: { ",\n ".contains($0) }) {
                guard let pid = Int32(word.trimmingCharacters(in: .whitespaces)), pid > 0 else {
                    throw EdgeBenchFailure(description: "not a process id: \(word)")
                }
                pids.append(pid)
            }
        }
        try self.init(pids: pids)
    }

    /// The usage so far; a process that is gone counts as zero.
    func sample() -> Sample {
        var total = Sample(cpuSeconds: 0, threadSwitches: [:], residentBytes: 0)
        for pid in pids {
            total.cpuSeconds += (try? ProcessUsage.cpuSeconds(of: pid)) ?? 0
            for (thread, count) in Self.voluntarySwitches(of: pid) { total.threadSwitches["\(pid)/\(thread)"] = count }
            total.residentBytes += (try? EdgeBenchCommand.residentBytes(of: pid)) ?? 0
        }
        return total
    }

    /// `voluntary_ctxt_switches` of each thread of `pid`, by thread id (`/proc/<pid>/status`
    /// alone counts only the main thread's).
    static func voluntarySwitches(of pid: Int32) -> [String: Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var counts: [String: Int] = [:]
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("voluntary_ctxt_switches:") }),
                  let count = line.split(separator: "\t").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            else { continue }
            counts[task] = count
        }
        return counts
    }
}
