from cscbook.cli import main

main()
