namespace Pulse.Silo.Gateway;

/// <summary>
/// The embedded gateway's host lifetime: none of its own. The silo's host owns SIGTERM and Ctrl+C and
/// stops the gateway (before the silo) through <see cref="EmbeddedGatewayService"/>; a second console
/// lifetime would react to the same signal on its own schedule.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
