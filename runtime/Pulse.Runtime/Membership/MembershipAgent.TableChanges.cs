namespace Pulse.Runtime.Membership;

/// <summary>Table changes under optimistic concurrency: retries, back-off, and what follows a change.</summary>
public sealed partial class MembershipAgent
{
    /// <summary>After a successful table change: publish it at once and tell the others (both best effort).</summary>
    private async Task AfterChangeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadAndPublishAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            MembershipLog.ReadAfterChangeFailed(Logger, Self, exception);
        }

        try
        {
            await _gossip.NotifyAsync(CurrentView, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            MembershipLog.GossipFailed(Logger, Self, exception);
        }
    }

    /// <summary>
    /// Runs one table change to completion under optimistic concurrency: read, let <paramref name="step"/>
    /// decide and write, and on a conflict read again and decide again. Returns false when the writes kept
    /// conflicting for <see cref="Configuration.MembershipOptions.MaxTableWriteAttempts"/> attempts.
    /// </summary>
    private async Task<bool> RunTableChangeAsync(
        string operation,
        Func<MembershipTableSnapshot, CancellationToken, Task<TableStep>> step,
        CancellationToken cancellationToken)
    {
        int conflicts = 0;
        bool changed = false;
        while (true)
        {
            MembershipTableSnapshot snapshot = await ReadAndPublishAsync(cancellationToken).ConfigureAwait(false);
            TableStep result = await step(snapshot, cancellationToken).ConfigureAwait(false);
            switch (result)
            {
                case TableStep.Done:
                    if (changed)
                    {
                        await AfterChangeAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return true;
                case TableStep.Wrote:
                    await AfterChangeAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                case TableStep.WroteAndContinue:
                    changed = true;
                    continue;
                default:
                    conflicts++;
                    if (conflicts >= _options.MaxTableWriteAttempts)
                    {
                        MembershipLog.TableConflictsExhausted(Logger, Self, operation, conflicts);
                        if (changed)
                        {
                            await AfterChangeAsync(cancellationToken).ConfigureAwait(false);
                        }

                        return false;
                    }

                    MembershipLog.TableConflict(Logger, Self, operation, conflicts);
                    await BackOffAsync(conflicts, cancellationToken).ConfigureAwait(false);
                    continue;
            }
        }
    }

    private Task BackOffAsync(int conflicts, CancellationToken cancellationToken)
    {
        // A conflict means someone else's write landed, so the first retry re-reads at once; only
        // repeated conflicts (heavy contention) wait, exponentially and with jitter so writers spread out.
        if (conflicts <= 1)
        {
            return Task.CompletedTask;
        }

        double factor = Math.Pow(2, Math.Min(conflicts - 2, 16));
        double ticks = Math.Min(_options.ConflictRetryDelay.Ticks * factor, _options.MaxConflictRetryDelay.Ticks);
        var delay = TimeSpan.FromTicks((long)(ticks * (0.5 + (Random.Shared.NextDouble() / 2))));
        return Task.Delay(delay, TimeProvider, cancellationToken);
    }

    /// <summary>What a table-change step did with the snapshot it was given.</summary>
    private enum TableStep
    {
        /// <summary>Nothing (more) to write.</summary>
        Done,

        /// <summary>Wrote the change; finished.</summary>
        Wrote,

        /// <summary>Wrote one change; read again and run the step again for the next.</summary>
        WroteAndContinue,

        /// <summary>A conditional write failed: someone changed the table first.</summary>
        Conflict,
    }
}
