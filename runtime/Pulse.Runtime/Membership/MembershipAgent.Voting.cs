namespace Pulse.Runtime.Membership;

/// <summary>Suspicion votes and death declarations.</summary>
public sealed partial class MembershipAgent
{
    /// <summary>
    /// The fresh votes that declare a silo Dead: <see cref="Configuration.MembershipOptions.NumVotesForDeathDeclaration"/>,
    /// capped by the silos that could vote — Active ones other than the suspect whose heartbeat is not stale
    /// (the voter always counts). The cap lets a 2-silo cluster declare with one vote and keeps a survivor
    /// whose peers died together from waiting for votes the dead will never cast.
    /// </summary>
    internal static int RequiredVotes(
        MembershipTableSnapshot snapshot, SiloAddress voter, SiloAddress target, DateTimeOffset now, int numVotesForDeathDeclaration, TimeSpan iAmAliveStaleAfter)
    {
        int voters = 0;
        foreach ((MembershipEntry entry, _) in snapshot.Entries)
        {
            if (entry.Status == SiloStatus.Active && entry.Silo != target
                && (entry.Silo == voter || entry.IAmAliveTime >= now - iAmAliveStaleAfter))
            {
                voters++;
            }
        }

        return Math.Max(1, Math.Min(numVotesForDeathDeclaration, voters));
    }

    /// <summary>
    /// Adds this silo's vote against <paramref name="target"/> (replacing its older vote, dropping expired
    /// ones) and, when enough fresh votes are in, declares it Dead; conflicts are re-read and re-decided.
    /// </summary>
    private Task SuspectOrDeclareDeadAsync(SiloAddress target, CancellationToken cancellationToken) =>
        RunTableChangeAsync($"vote against {target}", (snapshot, token) => VoteStepAsync(snapshot, target, token), cancellationToken);

    private async Task<TableStep> VoteStepAsync(MembershipTableSnapshot snapshot, SiloAddress target, CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            // The read may just have shown this silo Dead (and terminated it): a non-member does not vote.
            if (_state != AgentState.Active)
            {
                return TableStep.Done;
            }
        }

        if (!snapshot.TryGet(target, out MembershipEntry suspect, out string etag)
            || suspect.Status is SiloStatus.Dead or SiloStatus.Joining
            || !snapshot.TryGet(Self, out MembershipEntry own, out _)
            || own.Status != SiloStatus.Active)
        {
            // Someone else finished the job, the row went away, or this silo is no longer a voter.
            return TableStep.Done;
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        DateTimeOffset expired = now - _options.DeathVoteExpiration;
        var votes = new List<SuspectVote>(suspect.Suspicions.Count + 1);
        foreach (SuspectVote vote in suspect.Suspicions)
        {
            if (vote.Suspecter != Self && vote.Time >= expired)
            {
                votes.Add(vote);
            }
        }

        votes.Add(new SuspectVote(Self, now));
        int required = RequiredVotes(snapshot, Self, target, now, _options.NumVotesForDeathDeclaration, _options.IAmAliveStaleAfter);
        bool declare = votes.Count >= required;
        MembershipEntry updated = suspect with
        {
            Status = declare ? SiloStatus.Dead : suspect.Status,
            Suspicions = votes,
        };
        if (!await _table.UpdateRowAsync(updated, etag, snapshot.Version.Next(), cancellationToken).ConfigureAwait(false))
        {
            return TableStep.Conflict;
        }

        if (declare)
        {
            MembershipLog.DeclaredDead(Logger, Self, target, votes.Count);
        }
        else
        {
            MembershipLog.Suspected(Logger, Self, target, votes.Count, required);
        }

        return TableStep.Wrote;
    }
}
