using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Configuration;

/// <summary>Grain call settings.</summary>
public sealed class MessagingOptions
{
    /// <summary>Default <see cref="ResponseTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="TurnQuantum"/>: 100 milliseconds.</summary>
    public static readonly TimeSpan DefaultTurnQuantum = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a caller waits for a response before the call fails with <see cref="TimeoutException"/>.
    /// The grain may still finish the work; the caller no longer waits for it.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = DefaultResponseTimeout;

    /// <summary>
    /// How long one activation may keep a thread-pool thread before it yields to other work, so a
    /// busy grain cannot starve the rest of the silo. It never splits a turn, only the queue between turns.
    /// Measured on a coarse millisecond clock (<see cref="Environment.TickCount64"/>), so it is exact to a
    /// few milliseconds.
    /// </summary>
    public TimeSpan TurnQuantum { get; set; } = DefaultTurnQuantum;
}

/// <summary>Validates <see cref="MessagingOptions"/> at start-up.</summary>
public sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        List<string> failures = [];
        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Messaging:ResponseTimeout must be positive.");
        }

        if (options.TurnQuantum <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Messaging:TurnQuantum must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
