using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Tests.Generators;

public sealed class GeneratedGrainClassTests
{
    private static GrainClassDescriptor CounterGrainClass() =>
        GeneratedCodeRegistry.GrainClasses.Single(c => c.GrainClass == typeof(CounterGrain));

    [Fact]
    public void GrainClassIsRegisteredWithEveryGrainInterfaceItImplements()
    {
        Assert.Equal(
            new[] { typeof(ICounterGrain), typeof(INamedCounterGrain) },
            CounterGrainClass().GrainInterfaces.OrderBy(t => t.Name).ToArray());
    }

    [Fact]
    public void ActivatorResolvesServicesContextFactoryAndPersistentState()
    {
        FixedClock clock = new();
        DictionaryServiceProvider services = new(new FakePersistentStateFactory(), clock);
        FakeGrainContext context = new(GrainId.Create("generator-test-counter", "a"), services);

        CounterGrain grain = Assert.IsType<CounterGrain>(CounterGrainClass().Activator(services, context));

        Assert.Same(context, grain.GrainContext);
        Assert.Same(clock, grain.Clock);
        Assert.Same(context.GrainFactory, grain.Factory);
        Assert.Same(services, grain.Services);
        FakePersistentState<CounterState> state = Assert.IsType<FakePersistentState<CounterState>>(grain.State);
        Assert.Equal(("counter", "store"), (state.StateName, state.StorageName));
        Assert.Same(context, state.Context);
        FakePersistentState<CounterState> shadow = Assert.IsType<FakePersistentState<CounterState>>(grain.Shadow);
        Assert.Equal("shadow", shadow.StateName);
        Assert.Null(shadow.StorageName);
    }

    [Fact]
    public void ActivatorUsesDeclaredDefaultsForMissingOptionalServicesAndRegisteredOnesOtherwise()
    {
        DictionaryServiceProvider withoutLabel = new(new FakePersistentStateFactory(), new FixedClock());
        DictionaryServiceProvider withLabel = new(new FakePersistentStateFactory(), new FixedClock(), "from-services");

        CounterGrain defaulted = (CounterGrain)CounterGrainClass().Activator(withoutLabel, new FakeGrainContext(GrainId.Create("generator-test-counter", "a"), withoutLabel));
        CounterGrain resolved = (CounterGrain)CounterGrainClass().Activator(withLabel, new FakeGrainContext(GrainId.Create("generator-test-counter", "b"), withLabel));

        Assert.Equal(("unlabelled", 7), (defaulted.Label, defaulted.Limit));
        Assert.Equal("from-services", resolved.Label);
    }

    [Fact]
    public void ActivatorFailsClearlyWhenARequiredServiceIsMissing()
    {
        DictionaryServiceProvider services = new(new FakePersistentStateFactory());

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => CounterGrainClass().Activator(services, new FakeGrainContext(GrainId.Create("generator-test-counter", "a"), services)));

        Assert.Contains(nameof(ICounterClock), error.Message);
    }
}
