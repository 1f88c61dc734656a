from ffnet_cli.entry import main

main()
