def check = evaluate(new File(itCommon))
check(basedir, [
    'com.example.shop.WebappWithRedisTest': ['servesItsIndexPage', 'counterIncreasesThroughRedisOnTheSharedNetwork'],
    'com.example.shop.SandboxNetworkTest' : ['containerWithNetworkModeNoneSeesOnlyLoopback', 'bridgedContainerCannotLeaveTheVm',
                                             'guestCannotConnectOutside', 'recordsTheKernelItRunsOn'],
], 1)
