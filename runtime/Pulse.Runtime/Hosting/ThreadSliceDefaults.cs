using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Pulse.Runtime.Hosting;

/// <summary>What <see cref="ThreadSliceDefaults.PreferShortSlices()"/> did.</summary>
public enum ThreadSliceResult
{
    /// <summary>The process's threads run with the configured slice, and threads they start inherit it.</summary>
    Applied,

    /// <summary>The setting is 0: the process's threads run with the kernel's default slice, even if the process that started this one had set another.</summary>
    Disabled,

    /// <summary>Not Linux, not a known architecture, or a kernel without per-thread slices (before 6.12).</summary>
    Unsupported,

    /// <summary>The kernel refused the change (a seccomp profile, for instance); nothing else is affected.</summary>
    Refused,
}

/// <summary>What <see cref="ThreadSliceDefaults.PreferShortSlices()"/> did, and with which slice.</summary>
/// <param name="Result">What happened.</param>
/// <param name="Microseconds">The slice asked for; 0 for the kernel's default.</param>
public readonly record struct ThreadSliceOutcome(ThreadSliceResult Result, int Microseconds);

/// <summary>
/// Asks Linux to give this process's threads short time slices. Since 6.6 the kernel schedules
/// ordinary threads by EEVDF: a thread that wakes up (a socket read completing, a turn queued to the
/// pool) runs before the thread on the core only if its deadline is earlier, and a deadline is a
/// slice away. With the default slice (0.75 ms, 0.7 ms since 6.15, times 1 + log2 of the CPUs: about
/// 1.5 ms on two) a woken thread can wait more than a millisecond behind each busy thread of the same
/// process: that, not the work, was most of the p99 of client-to-silo calls on a core per process. Since 6.12 a thread may
/// ask for a shorter slice (<c>sched_setattr</c> with <c>sched_runtime</c>, no privilege needed); it
/// keeps its share of the CPU and gets earlier deadlines, so it preempts sooner and is preempted
/// sooner.
/// </summary>
/// <remarks>
/// <para>
/// Threads inherit the slice of the thread that starts them, so setting it on every thread of the
/// process at the top of <c>Main</c> covers the thread pool, the socket engine and the host, which
/// all start later; so do processes it starts. <see cref="SliceVariable"/> sets the slice in
/// microseconds (100 to 100,000, the kernel's bounds; default <see cref="DefaultSliceMicroseconds"/>);
/// 0 restores the kernel's default on every thread, whatever the parent process had set.
/// </para>
/// <para>
/// Measured with <c>client-calls-split</c> (a silo process and a client process on a core each, open
/// loop at half of the peak rate), runs alternated in one session: p99 1.54 to 1.98 ms in 7 runs with
/// 100 µs slices, 2.11 to 3.07 ms in 8 runs with the kernel's default.
/// </para>
/// </remarks>
public static partial class ThreadSliceDefaults
{
    /// <summary>The environment variable that sets the slice, in microseconds; 0 turns this off.</summary>
    public const string SliceVariable = "PULSE_THREAD_SLICE_US";

    /// <summary>The slice when <see cref="SliceVariable"/> is not set: the shortest the kernel grants.</summary>
    public const int DefaultSliceMicroseconds = 100;

    /// <summary>The shortest slice the kernel grants, in microseconds.</summary>
    public const int MinSliceMicroseconds = 100;

    /// <summary>The longest slice the kernel grants, in microseconds.</summary>
    public const int MaxSliceMicroseconds = 100_000;

    private const uint SchedOther = 0;
    private const uint SchedBatch = 3;
    private const ulong ResetOnForkFlag = 0x01;

    /// <summary>
    /// Applies the slice <see cref="SliceVariable"/> asks for (or the default) to every thread of this
    /// process. Call first in <c>Main</c>, before the host starts its threads.
    /// </summary>
    /// <returns>What happened, for <see cref="Log"/> once logging is up.</returns>
    /// <exception cref="InvalidOperationException">The variable holds something other than 0 or a slice within the kernel's bounds.</exception>
    public static ThreadSliceOutcome PreferShortSlices()
    {
        int microseconds = ParseSetting(Environment.GetEnvironmentVariable(SliceVariable));
        return new ThreadSliceOutcome(Apply(microseconds), microseconds);
    }

    /// <summary>
    /// Logs what <see cref="PreferShortSlices()"/> did: it runs before the host, and so before logging.
    /// A refusal is a warning, since the process then runs with the kernel's longer slices.
    /// </summary>
    public static void Log(ILogger logger, ThreadSliceOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(logger);
        switch (outcome.Result)
        {
            case ThreadSliceResult.Applied:
                LogApplied(logger, outcome.Microseconds, SliceVariable);
                break;
            case ThreadSliceResult.Disabled:
                LogDisabled(logger, SliceVariable);
                break;
            case ThreadSliceResult.Unsupported:
                LogUnsupported(logger);
                break;
            default:
                LogRefused(logger, outcome.Microseconds);
                break;
        }
    }

    /// <summary>
    /// The slice in microseconds that <paramref name="value"/> (the variable's text) asks for: the
    /// default when it is unset or blank, 0 for off.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="value"/> is not 0 or a whole number within the kernel's bounds.</exception>
    public static int ParseSetting(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultSliceMicroseconds;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int micros)
            && (micros == 0 || micros is >= MinSliceMicroseconds and <= MaxSliceMicroseconds))
        {
            return micros;
        }

        throw new InvalidOperationException(
            $"{SliceVariable} must be 0 (keep the kernel's time slice) or whole microseconds from {MinSliceMicroseconds} to {MaxSliceMicroseconds}; got '{value}'.");
    }

    /// <summary>
    /// Gives every thread of this process a slice of <paramref name="microseconds"/>; 0 gives them the
    /// kernel's default back.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="microseconds"/> is neither 0 nor within the kernel's bounds.</exception>
    public static ThreadSliceResult Apply(int microseconds)
    {
        if (microseconds != 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(microseconds, MinSliceMicroseconds);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(microseconds, MaxSliceMicroseconds);
        }

        if (!OperatingSystem.IsLinux() || SyscallNumbers() is null)
        {
            return microseconds == 0 ? ThreadSliceResult.Disabled : ThreadSliceResult.Unsupported;
        }

        if (microseconds == 0)
        {
            // A slice of 0 is the kernel's "no slice of my own": threads inherit a slice from the
            // process that started this one, which the operator asked not to have.
            SetOnEveryThread(0);
            return ThreadSliceResult.Disabled;
        }

        ulong nanoseconds = (ulong)microseconds * 1_000;

        // This thread first: if the kernel ignores the request here, it ignores it everywhere.
        if (!TrySetSlice(0, nanoseconds, out bool refused))
        {
            return refused ? ThreadSliceResult.Refused : ThreadSliceResult.Unsupported;
        }

        if (TryReadSlice(0) != nanoseconds)
        {
            // Before 6.12 the kernel accepts sched_runtime for ordinary threads and ignores it.
            return ThreadSliceResult.Unsupported;
        }

        SetOnEveryThread(nanoseconds);
        return ThreadSliceResult.Applied;
    }

    /// <summary>
    /// The slice in nanoseconds that thread <paramref name="threadId"/> (0: the calling thread) runs
    /// with, or null when it cannot be read. A thread with the kernel's default reads as that default.
    /// </summary>
    internal static ulong? TryReadSlice(int threadId)
    {
        if (!OperatingSystem.IsLinux() || SyscallNumbers() is not { } numbers)
        {
            return null;
        }

        var attributes = new SchedAttr { Size = SchedAttr.SizeInBytes };
        return syscall(numbers.Get, threadId, ref attributes, SchedAttr.SizeInBytes, 0) == 0 ? attributes.Runtime : null;
    }

    /// <summary>Gives the calling thread alone a slice of <paramref name="nanoseconds"/> (0: the kernel's default); for tests.</summary>
    internal static bool TrySetCallingThreadSlice(ulong nanoseconds) =>
        OperatingSystem.IsLinux() && SyscallNumbers() is not null && TrySetSlice(0, nanoseconds, out _);

    private static void SetOnEveryThread(ulong nanoseconds)
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            // A thread that exits meanwhile is simply not there to change.
            if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int threadId))
            {
                TrySetSlice(threadId, nanoseconds, out _);
            }
        }
    }

    private static bool TrySetSlice(int threadId, ulong nanoseconds, out bool refused)
    {
        refused = false;
        (long Set, long Get) numbers = SyscallNumbers()!.Value;
        var attributes = new SchedAttr { Size = SchedAttr.SizeInBytes };
        if (syscall(numbers.Get, threadId, ref attributes, SchedAttr.SizeInBytes, 0) != 0)
        {
            return false;
        }

        // Real-time, deadline and idle threads are someone's deliberate choice; the slice is for ordinary ones.
        if (attributes.Policy is not (SchedOther or SchedBatch))
        {
            return true;
        }

        // Everything else as it was (nice value, policy, reset-on-fork); utilization clamps are not touched.
        attributes.Flags &= ResetOnForkFlag;
        attributes.Runtime = nanoseconds;
        attributes.Deadline = 0;
        attributes.Period = 0;
        if (syscall(numbers.Set, threadId, ref attributes, 0, 0) == 0)
        {
            return true;
        }

        refused = Marshal.GetLastPInvokeError() is 1 /* EPERM */ or 13 /* EACCES */;
        return false;
    }

    private static (long Set, long Get)? SyscallNumbers() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => (314, 315),
        Architecture.Arm64 => (274, 275),
        _ => null,
    };

    [LoggerMessage(EventId = 9210, Level = LogLevel.Information, Message = "Threads run with {Microseconds} µs time slices ({Variable}=0 restores the kernel's default)")]
    private static partial void LogApplied(ILogger logger, int microseconds, string variable);

    [LoggerMessage(EventId = 9211, Level = LogLevel.Information, Message = "Threads run with the kernel's default time slice ({Variable}=0)")]
    private static partial void LogDisabled(ILogger logger, string variable);

    [LoggerMessage(EventId = 9212, Level = LogLevel.Information, Message = "Threads run with the kernel's default time slice: this system has no per-thread slices (Linux 6.12 or later)")]
    private static partial void LogUnsupported(ILogger logger);

    [LoggerMessage(EventId = 9213, Level = LogLevel.Warning, Message = "The kernel refused {Microseconds} µs time slices (a seccomp profile may forbid sched_setattr); threads keep its default, and latency tails will be longer")]
    private static partial void LogRefused(ILogger logger, int microseconds);

    // sched_getattr(tid, attr, size, flags) and sched_setattr(tid, attr, flags) through libc's generic
    // syscall(), since only recent C libraries wrap them.
    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int threadId, ref SchedAttr attributes, uint third, uint fourth);

    // struct sched_attr of linux/sched/types.h, the 56-byte version with utilization clamps.
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public const uint SizeInBytes = 56;

        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
        public uint UtilMin;
        public uint UtilMax;
    }
}
