using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Configuration;

/// <summary>Activation lifecycle settings: idle collection and lifecycle timeouts.</summary>
public sealed class GrainCollectionOptions
{
    /// <summary>Default <see cref="CollectionAge"/>: 15 minutes.</summary>
    public static readonly TimeSpan DefaultCollectionAge = TimeSpan.FromMinutes(15);

    /// <summary>Default <see cref="CollectionQuantum"/>: 1 minute.</summary>
    public static readonly TimeSpan DefaultCollectionQuantum = TimeSpan.FromMinutes(1);

    /// <summary>Default <see cref="ActivationTimeout"/> and <see cref="DeactivationTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultLifecycleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>An activation idle for this long is deactivated (per class: <see cref="CollectionAgeLimitAttribute"/>).</summary>
    public TimeSpan CollectionAge { get; set; } = DefaultCollectionAge;

    /// <summary>How often the collector looks for idle activations.</summary>
    public TimeSpan CollectionQuantum { get; set; } = DefaultCollectionQuantum;

    /// <summary>Longest time state loading plus <c>OnActivateAsync</c> may take before activation fails.</summary>
    public TimeSpan ActivationTimeout { get; set; } = DefaultLifecycleTimeout;

    /// <summary>Longest time <c>OnDeactivateAsync</c> plus the final state writes may take.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = DefaultLifecycleTimeout;

    /// <summary>
    /// Whether deactivation writes each persistent state whose value changed since it was last read or
    /// written, so a grain that forgot to write does not lose its state on collection or shutdown.
    /// </summary>
    public bool WriteChangedStateOnDeactivation { get; set; } = true;
}

/// <summary>Validates <see cref="GrainCollectionOptions"/> at start-up.</summary>
public sealed class GrainCollectionOptionsValidator : IValidateOptions<GrainCollectionOptions>
{
    public ValidateOptionsResult Validate(string? name, GrainCollectionOptions options)
    {
        List<string> failures = [];
        if (options.CollectionAge <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Collection:CollectionAge must be positive.");
        }

        if (options.CollectionQuantum <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Collection:CollectionQuantum must be positive.");
        }
        else if (options.CollectionQuantum > options.CollectionAge)
        {
            failures.Add("Pulse:Collection:CollectionQuantum must not exceed CollectionAge.");
        }

        if (options.ActivationTimeout <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Collection:ActivationTimeout must be positive.");
        }

        if (options.DeactivationTimeout <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Collection:DeactivationTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
