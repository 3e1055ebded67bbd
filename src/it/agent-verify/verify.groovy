def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.orders.OrderTotalsTest'     : ['sumsLines', 'appliesDiscountRoundingHalfUp', 'rejectsNonPositiveQuantity',
                                                'recordsTheKernelItRunsOn'],
    'com.example.orders.HostIsolationTest'   : ['hostEnvironmentDoesNotLeakIn', 'hostSecretsAreNotVisible', 'cannotReachTheInternet',
                                                'recordsTheMachineItRunsOn'],
    'com.example.orders.CustomRedisImageTest': ['runsTheImageBuiltInTheSandbox', 'recordsTheMachineItRunsOn'],
], 3)


