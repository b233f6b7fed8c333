namespace Pulse.Runtime.Hosting;

/// <summary>
/// How a Pulse process's sockets complete their reads and writes. By default .NET's socket engine
/// hands every completion from its epoll thread to the thread pool, and Kestrel and the silo transport
/// then queue their own work behind it: two thread switches per received message. On few cores every
/// switch is a context switch (on a VM, a trip through the hypervisor), and that is most of what a
/// small request costs. With inline completions the epoll thread runs the completion itself, and the
/// runtime keeps one epoll thread per core so that no single thread becomes the bottleneck.
/// </summary>
/// <remarks>
/// <para>
/// What then runs on an epoll thread: Kestrel copies the received bytes into its pipe and queues the
/// request to the pool (requests never run there); a silo connection's read loop parses frames,
/// queues requests as turns, and completes the callers of answered calls, which continue there until
/// their next wait, as they already did on the read loop's pool thread. None of it blocks: requests
/// that arrive over the network run their turns on the pool, and storage is only touched from turns.
/// </para>
/// <para>
/// .NET reads the switch once, from the environment, when the first socket starts an operation, so it
/// is set at the top of <c>Main</c>, before any host is built. An operator's own value wins:
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> turns it off.
/// </para>
/// </remarks>
public static class SocketEngineDefaults
{
    /// <summary>The environment variable .NET's socket engine reads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline socket completions on for this process unless the environment already sets the
    /// switch. Call first in <c>Main</c>: once a socket has started an operation the switch is read and
    /// a later change does nothing.
    /// </summary>
    /// <returns><see langword="true"/> when this call turned it on; <see langword="false"/> when the environment had already decided.</returns>
    public static bool PreferInlineCompletions() =>
        PreferInlineCompletions(Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable);

    /// <summary>The same decision on a given environment; for tests.</summary>
    public static bool PreferInlineCompletions(Func<string, string?> read, Action<string, string?> write)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(write);
        if (read(InlineCompletionsVariable) is not null)
        {
            return false;
        }

        write(InlineCompletionsVariable, "1");
        return true;
    }
}
