"""What admins tune from the web: retraining into model versions (`retrain`), and a rules
change checked and tried on filed mail before it is saved (`rules_check`)."""
