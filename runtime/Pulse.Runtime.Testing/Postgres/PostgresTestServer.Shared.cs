namespace Pulse.Runtime.Testing;

public sealed partial class PostgresTestServer
{
    /// <summary>
    /// How long the shared server outlives its last lease. Test classes come and go; a short grace
    /// period lets the next one reuse the server instead of paying for another initdb.
    /// </summary>
    private static readonly TimeSpan SharedGracePeriod = TimeSpan.FromSeconds(10);

    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static PostgresTestServer? s_shared;
    private static int s_sharedLeases;
    private static long s_sharedGeneration;
    private static bool s_processExitHooked;

    /// <summary>
    /// Returns a lease on the process-wide server, starting it on first use, so a test suite starts
    /// PostgreSQL once. Dispose the lease when done (an xunit fixture's DisposeAsync); the server stops
    /// a few seconds after the last lease goes, or when the process exits. Tests must not restart it.
    /// </summary>
    public static async Task<PostgresTestServerLease> AcquireSharedAsync(CancellationToken cancellationToken = default)
    {
        await SharedGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (s_shared is null)
            {
                PostgresTestServer server = await StartAsync(cancellationToken).ConfigureAwait(false);
                server.IsShared = true;
                s_shared = server;
                if (!s_processExitHooked)
                {
                    // The grace period may still be running when the test host exits.
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => StopSharedAtExit();
                    s_processExitHooked = true;
                }
            }

            s_sharedLeases++;
            s_sharedGeneration++;
            return new PostgresTestServerLease(s_shared);
        }
        finally
        {
            SharedGate.Release();
        }
    }

    internal static async Task ReleaseSharedAsync()
    {
        long generation;
        await SharedGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (--s_sharedLeases > 0)
            {
                return;
            }

            generation = s_sharedGeneration;
        }
        finally
        {
            SharedGate.Release();
        }

        _ = StopSharedAfterGraceAsync(generation);
    }

    private static async Task StopSharedAfterGraceAsync(long generation)
    {
        await Task.Delay(SharedGracePeriod).ConfigureAwait(false);
        PostgresTestServer? server;
        await SharedGate.WaitAsync().ConfigureAwait(false);
        try
        {
            // A lease taken during the grace period (a new generation) keeps the server alive.
            if (s_sharedLeases > 0 || s_sharedGeneration != generation || s_shared is null)
            {
                return;
            }

            server = s_shared;
            s_shared = null;
        }
        finally
        {
            SharedGate.Release();
        }

        try
        {
            await server.DisposeCoreAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Stopping a test server that is already gone must not crash the test host.
        }
    }

    private static void StopSharedAtExit()
    {
        PostgresTestServer? server = Interlocked.Exchange(ref s_shared, null);
        if (server is null)
        {
            return;
        }

        try
        {
            // ProcessExit handlers are synchronous; nothing else runs on this thread now.
            server.DisposeCoreAsync().GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            // The process is exiting anyway.
        }
    }
}

/// <summary>A use of the shared <see cref="PostgresTestServer"/>; disposing it gives the use back.</summary>
public sealed class PostgresTestServerLease : IAsyncDisposable
{
    private int _released;

    internal PostgresTestServerLease(PostgresTestServer server) => Server = server;

    /// <summary>The shared server.</summary>
    public PostgresTestServer Server { get; }

    /// <summary>Releases the lease; the last one lets the server stop after a short grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await PostgresTestServer.ReleaseSharedAsync().ConfigureAwait(false);
        }
    }
}
