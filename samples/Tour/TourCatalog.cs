namespace ConcurrencySafety.Samples;

/// <summary>The list of samples the tour runs, in order. Each sample adds one line here.</summary>
internal static class TourCatalog
{
    public static IReadOnlyList<(string Name, Func<Task> Run)> All { get; } =
    [
        ("producer-consumer", ChannelSamples.ProducerConsumer),
        ("rendezvous-signals", ChannelSamples.UnitSignals),
        ("select-ticker-timeout", ChannelSamples.SelectWithTickerAndTimeout),
        ("pipeline", ChannelSamples.Pipeline),
        ("inline-hand-off", ChannelSamples.InlineHandOff),
        ("worker-pool", ChannelSamples.WorkerPool),
        ("channel-cancellation", ChannelSamples.ChannelCancellation),
        ("data-parallelism", ParallelSamples.DataParallelism),
        ("parallel-into-channel", ParallelSamples.ParallelIntoChannel),
        ("producers-with-deadlines", ParallelSamples.ProducersWithDeadlines),
        ("parallel-pipeline", ParallelSamples.ParallelPipeline),
        ("scoped-threads", ScopeSamples.ScopedThreads),
        ("task-scope", ScopeSamples.WaitGroupReplacement),
        ("semaphore-slim", ParallelSamples.SemaphoreSlimLimit),
        ("permits", ScopeSamples.Permits),
        ("cancelled-arm-and-group-limit", ScopeSamples.CancelledArmAndGroupLimit),
        ("locked-data", ScopeSamples.DataOwningLock),
        ("type-state", TypeStateSamples.RunAsync),
    ];
}
