from sshsetup.cli import main

main()
