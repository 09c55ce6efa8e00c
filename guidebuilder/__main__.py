from guidebuilder.cli import main

main()
