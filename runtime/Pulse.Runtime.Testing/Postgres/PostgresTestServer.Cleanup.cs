namespace Pulse.Runtime.Testing;

public sealed partial class PostgresTestServer
{
    private const string DirectoryPrefix = "pulse-pg-";
    private const string OwnerLockFileName = "owner.lock";

    /// <summary>Held open (exclusively) for the server's lifetime; the OS releases it when this process dies.</summary>
    private FileStream? _ownerLock;

    private void TakeOwnerLock() =>
        _ownerLock = new FileStream(Path.Combine(_rootDirectory, OwnerLockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

    private void ReleaseOwnerLock()
    {
        _ownerLock?.Dispose();
        _ownerLock = null;
    }

    /// <summary>
    /// Stops and deletes servers whose test process died without cleaning up: a test host killed
    /// during its exit handler (as test runners do) leaves the folder, and a hard kill leaves a
    /// running server. A folder whose owner lock can be taken has no living owner.
    /// </summary>
    private static async Task RemoveAbandonedServersAsync(PostgresBinaries binaries, CancellationToken cancellationToken)
    {
        IEnumerable<string> directories;
        try
        {
            directories = Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*").ToList();
        }
        catch (IOException)
        {
            return;
        }

        foreach (string directory in directories)
        {
            FileStream probe;
            try
            {
                probe = new FileStream(Path.Combine(directory, OwnerLockFileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Locked (its owner is alive) or no lock file (a server still being created): leave it.
                continue;
            }

            await using (probe.ConfigureAwait(false))
            {
                string data = Path.Combine(directory, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    try
                    {
                        await binaries.RunAsync(binaries.PgCtl, ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], directory, CommandTimeout, cancellationToken)
                            .ConfigureAwait(false);
                    }
                    catch (InvalidOperationException)
                    {
                        // A stale pid file of a server that is already gone: nothing to stop.
                    }
                }
            }

            TryDeleteDirectory(directory);
        }
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A temp folder left behind is harmless; failing a test run over it is not.
        }
    }
}
