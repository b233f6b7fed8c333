using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>
/// The outcome of a caller-thread call reaches the caller exactly once: taken inline, or through the
/// completion it was handed to, however the answer from another thread races the hand-off.
/// </summary>
public sealed class CallerThreadOutcomeTests
{
    [Fact]
    public async Task AnAnswerFromAnotherThreadIsDeliveredOnceWhateverItRaces()
    {
        const int Rounds = 20_000;
        var outcomes = new CallerThreadOutcome<int>[Rounds];
        var handedTo = new RecordingCompletion[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            outcomes[i] = new CallerThreadOutcome<int>();
            handedTo[i] = new RecordingCompletion();
        }

        // Both sides start each round together and then wait a varying few spins, so the answer lands
        // before the caller looks, between its look and its hand-off, or after the hand-off.
        int round = -1;
        Task answering = Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    while (Volatile.Read(ref round) < i)
                    {
                        Thread.SpinWait(1);
                    }

                    Thread.SpinWait(i * 7 % 61);
                    if (i % 2 == 1)
                    {
                        outcomes[i].SetException(new InvalidOperationException(i.ToString()));
                    }
                    else
                    {
                        outcomes[i].SetResult(i);
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var inline = new bool[Rounds];
        var answers = new ValueTask<int>[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            Volatile.Write(ref round, i);
            Thread.SpinWait(i % 5 * 200);
            bool taken = outcomes[i].TryTake(out answers[i]);
            inline[i] = taken || !outcomes[i].TryHandOff(handedTo[i]);
            if (inline[i] && !taken)
            {
                // The hand-off lost the race: the answer is in the outcome.
                Assert.True(outcomes[i].TryTake(out answers[i]));
            }
        }

        await answering;
        int forwarded = 0;
        for (int i = 0; i < Rounds; i++)
        {
            bool fail = i % 2 == 1;
            if (inline[i])
            {
                Assert.Equal(0, handedTo[i].Calls);
                if (fail)
                {
                    Assert.Equal(i.ToString(), (await Assert.ThrowsAsync<InvalidOperationException>(() => answers[i].AsTask())).Message);
                }
                else
                {
                    Assert.Equal(i, await answers[i]);
                }
            }
            else
            {
                forwarded++;
                Assert.Equal(1, handedTo[i].Calls);
                Assert.Equal(fail ? null : i, handedTo[i].Result);
                Assert.Equal(fail ? i.ToString() : null, handedTo[i].Error?.Message);
            }
        }

        // Both ways must have been taken for the race to have been tested at all.
        Assert.InRange(forwarded, 1, Rounds - 1);
    }

    [Fact]
    public async Task AReturnedInstanceServesTheThreadsNextCallAndAnInstanceInUseIsNotSharedWithIt()
    {
        CallerThreadOutcome<string> first = CallerThreadOutcome<string>.Rent();
        CallerThreadOutcome<string> nested = CallerThreadOutcome<string>.Rent();
        Assert.NotSame(first, nested);

        first.SetException(new InvalidOperationException("old"));
        Assert.True(first.TryTake(out ValueTask<string> failed));
        Assert.True(failed.IsFaulted);
        first.Return();

        CallerThreadOutcome<string> again = CallerThreadOutcome<string>.Rent();
        Assert.Same(first, again);
        Assert.False(again.TryTake(out _));
        again.SetResult("new");
        Assert.True(again.TryTake(out ValueTask<string> answer));
        again.Return();
        Assert.Equal("new", await answer);
    }

    private sealed class RecordingCompletion : IResponseCompletion<int>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public int? Result { get; private set; }

        public Exception? Error { get; private set; }

        public void SetResult(int result)
        {
            Result = result;
            Interlocked.Increment(ref _calls);
        }

        public void SetException(Exception exception)
        {
            Error = exception;
            Interlocked.Increment(ref _calls);
        }
    }
}
